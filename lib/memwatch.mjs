// ES module face of memctl/memwatch: the same emitter as require('memctl/memwatch')
// (default export), plus its methods as named exports bound to it, because Node
// cannot detect the properties of a CommonJS emitter instance as named exports.
import memwatch from './memwatch.js';

export default memwatch;
export const on = memwatch.on.bind(memwatch);
export const once = memwatch.once.bind(memwatch);
export const off = memwatch.off.bind(memwatch);
export const addListener = memwatch.addListener.bind(memwatch);
export const removeListener = memwatch.removeListener.bind(memwatch);
export const removeAllListeners = memwatch.removeAllListeners.bind(memwatch);
export const listenerCount = memwatch.listenerCount.bind(memwatch);
export const gc = memwatch.gc.bind(memwatch);
export const configure = memwatch.configure.bind(memwatch);
// Loaded on first use, as memwatch.HeapDiff: `new HeapDiff()` builds memctl's HeapDiff.
export function HeapDiff(...args) {
  return new memwatch.HeapDiff(...args);
}
