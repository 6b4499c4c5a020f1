// Drop-in for the `heapdump` package: `require('memctl/heapdump')`.

/**
 * Writes a heap snapshot (synchronously, streamed to disk by V8). The default
 * file name is `heapdump-<sec>.<usec>.heapsnapshot` in the working directory.
 * Returns true on success, false on an I/O error (which goes to the callback).
 * The callback is called synchronously, as heapdump does. A file name that is
 * not a string (e.g. a number) means the default name, as in heapdump. A
 * failed write's error message is `heapdump write error <CODE>` (e.g.
 * ENOENT); `code`, `errno`, `syscall` and `path` are kept, `cause` is the fs error.
 * @throws TypeError with code ERR_MEMCTL_INVALID_ARG_VALUE for an empty file name or one with NUL bytes.
 */
export function writeSnapshot(filename?: string | number | null, callback?: (err: (Error & { code?: string, errno?: number, syscall?: string, path?: string }) | null, filename?: string) => void): boolean;
export function writeSnapshot(callback: (err: Error | null, filename?: string) => void): boolean;

/**
 * True when requiring the module installed the SIGUSR2 handler (main thread,
 * POSIX, and NODE_HEAPDUMP_OPTIONS without "nosignal").
 */
export const signalHandlerInstalled: boolean;
