// Types of `import ... from 'memctl/memwatch'` (lib/memwatch.mjs).
import memwatch from './memwatch.js';

export default memwatch;
export declare const on: typeof memwatch.on;
export declare const once: typeof memwatch.once;
export declare const off: typeof memwatch.off;
export declare const addListener: typeof memwatch.addListener;
export declare const removeListener: typeof memwatch.removeListener;
export declare const removeAllListeners: typeof memwatch.removeAllListeners;
export declare const listenerCount: typeof memwatch.listenerCount;
export declare const gc: typeof memwatch.gc;
export declare const configure: typeof memwatch.configure;
export declare const HeapDiff: typeof memwatch.HeapDiff;
