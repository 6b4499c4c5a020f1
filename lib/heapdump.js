'use strict';
// Drop-in for the `heapdump` package: `require('memctl/heapdump')`.
// writeSnapshot([filename], [callback]) returns true on success and calls
// callback(err, filename) synchronously, as heapdump does; a file name that
// is not a string means the default name, and a failed write's error reads
// "heapdump write error ENOENT" (with code, errno, syscall and path kept). Requiring the
// module installs a SIGUSR2 handler that writes heapdump-<sec>.<usec>.heapsnapshot
// into the working directory, unless NODE_HEAPDUMP_OPTIONS contains "nosignal".
const { isMainThread } = require('worker_threads');
const { writeSnapshot: write } = require('./snapshot');

// heapdump's message for a failed write: "heapdump write error <ERRNO NAME>".
// The fs error's code, errno, syscall and path are kept, and the error itself
// is the cause.
function writeError(err) {
  const e = new Error(`heapdump write error ${err && err.code ? err.code : String(err)}`);
  for (const k of ['code', 'errno', 'syscall', 'path']) {
    if (err && err[k] !== undefined) e[k] = err[k];
  }
  e.cause = err;
  return e;
}

function writeSnapshot(filename, callback) {
  if (typeof filename === 'function' && callback === undefined) {
    callback = filename;
    filename = undefined;
  }
  // heapdump writes to its default name when the file name is not a string.
  if (typeof filename !== 'string') filename = undefined;
  let file;
  try {
    file = write(filename);
  } catch (err) {
    if (err && typeof err.code === 'string' && err.code.startsWith('ERR_MEMCTL_')) throw err; // bad arguments
    if (typeof callback !== 'function') return false;
    callback(writeError(err));
    return false;
  }
  if (typeof callback === 'function') callback(null, file);
  return true;
}

// NODE_HEAPDUMP_OPTIONS is a comma-separated list: "signal" (the default) or
// "nosignal"; unknown words are reported on stderr and ignored, as heapdump does.
function signalEnabled(env) {
  let enabled = true;
  for (const word of String(env || '').split(/\s*,\s*/)) {
    if (word === '') continue;
    if (word === 'signal') enabled = true;
    else if (word === 'nosignal') enabled = false;
    else process.stderr.write(`memctl/heapdump: unrecognized option: ${word}\n`);
  }
  return enabled;
}

function onSignal() {
  writeSnapshot((err) => {
    if (err) process.stderr.write(`memctl/heapdump: could not write a heap snapshot: ${err.message}\n`);
  });
}

// Signals reach the main thread only; POSIX only (Windows has no SIGUSR2).
const signalHandlerInstalled = isMainThread && process.platform !== 'win32' &&
  signalEnabled(process.env.NODE_HEAPDUMP_OPTIONS);
if (signalHandlerInstalled) process.on('SIGUSR2', onSignal);

module.exports = { writeSnapshot, signalHandlerInstalled };
