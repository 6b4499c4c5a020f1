// Drop-in for the `heapdump` package: `require('memctl/heapdump')`.

/**
 * Writes a heap snapshot (synchronously, streamed to disk by V8). The default
 * file name is `heapdump-<sec>.<usec>.heapsnapshot` in the working directory.
 * Returns true on success, false on an I/O error (which goes to the callback).
 * The callback is called synchronously, as heapdump does.
 * @throws TypeError with code ERR_MEMCTL_INVALID_ARG_TYPE / _VALUE for a bad file name.
 */
export function writeSnapshot(filename?: string, callback?: (err: Error | null, filename?: string) => void): boolean;
export function writeSnapshot(callback: (err: Error | null, filename?: string) => void): boolean;

/**
 * True when requiring the module installed the SIGUSR2 handler (main thread,
 * POSIX, and NODE_HEAPDUMP_OPTIONS without "nosignal").
 */
export const signalHandlerInstalled: boolean;
