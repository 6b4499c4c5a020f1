// memctl: off-heap caches, a budgeted buffer pool, leak detection and heap
// snapshot analysis, with cores in C.
export * from './cache';
export * from './pool';
export * from './leak-watcher';
export * from './snapshot';
export * from './shared-cache';
export * from './tiered-cache';
