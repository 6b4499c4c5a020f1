'use strict';
// Drop-in for memwatch-next: `const memwatch = require('memctl/memwatch')`.
//   memwatch.on('stats', fn)  after every full GC, memwatch's fields (correct)
//   memwatch.on('leak', fn)   { start, end, growth, reason }
//   memwatch.gc()             a full GC (needs node --expose-gc)
//   memwatch.HeapDiff         from memctl's snapshot module, loaded on first use
// The watcher starts with the first 'stats' or 'leak' listener and stops when
// the last one is removed; it never keeps the process alive. It uses memctl's
// noise-tolerant detector; memwatch.configure({ detector: 'consecutive' })
// restores memwatch's own rule.
const { EventEmitter } = require('events');
const { LeakWatcher } = require('./leak-watcher');
const { error } = require('./errors');

const memwatch = new EventEmitter();
let watcher = null;
let options = {};

const watched = () => memwatch.listenerCount('stats') + memwatch.listenerCount('leak');

function startWatcher() {
  if (watcher) return;
  watcher = new LeakWatcher(options);
  watcher.on('stats', (s) => memwatch.emit('stats', s));
  watcher.on('leak', (l) => memwatch.emit('leak', l));
  watcher.start();
}

function stopWatcher() {
  if (!watcher) return;
  watcher.close();
  watcher = null;
}

memwatch.on('newListener', (event) => {
  if (event === 'stats' || event === 'leak') startWatcher();
});
memwatch.on('removeListener', (event) => {
  if ((event === 'stats' || event === 'leak') && watched() === 0) stopWatcher();
});

// Sets the LeakWatcher options (detector, consecutive, minGrowth, ...);
// validated now, applied to the running watcher at once.
memwatch.configure = function configure(opts) {
  new LeakWatcher(opts).close(); // throws with a code on bad options
  options = { ...opts };
  if (watcher) {
    stopWatcher();
    startWatcher();
  }
  return memwatch;
};

memwatch.gc = function gc() {
  if (typeof globalThis.gc !== 'function') {
    throw error('ERR_MEMCTL_GC_UNAVAILABLE', 'memwatch.gc() needs the garbage collector exposed: run node with --expose-gc');
  }
  globalThis.gc();
};

Object.defineProperty(memwatch, 'HeapDiff', {
  enumerable: true,
  get() {
    const { HeapDiff } = require('./snapshot');
    if (typeof HeapDiff !== 'function') {
      throw error('ERR_MEMCTL_NOT_AVAILABLE', 'HeapDiff is not available in this build of memctl (lib/snapshot.js does not export it)');
    }
    return HeapDiff;
  },
});

module.exports = memwatch;
