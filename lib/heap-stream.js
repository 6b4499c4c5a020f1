'use strict';
// This thread's heap snapshot, chunk by chunk, with no file and no
// whole-document buffer. Node's HeapSnapshotStream serializes the whole
// snapshot synchronously inside its first _read() (V8's OutputStream pushes
// every chunk then), so its push() is taken over for that one call: each chunk
// goes to onChunk, then is dropped. Internal (memwatch's HeapDiff, tests and
// the HeapDiff benchmark); not a public export.
const v8 = require('v8');
const { error } = require('./errors');

// onTaken (optional) is called once V8 has built the snapshot, before the
// first chunk is serialized (the HeapDiff benchmark times the two apart).
function forEachHeapSnapshotChunk(onChunk, onTaken) {
  const stream = v8.getHeapSnapshot();
  if (onTaken) onTaken();
  let ended = false;
  stream.push = (chunk) => {
    if (chunk === null) ended = true;
    else onChunk(chunk);
    return true;
  };
  stream._read = () => {}; // Node calls read(0) after EOF: serialize once only
  Object.getPrototypeOf(stream)._read.call(stream);
  stream.destroy();
  if (!ended) {
    throw error('ERR_MEMCTL_NOT_AVAILABLE', 'this Node.js does not serialize v8.getHeapSnapshot() synchronously; HeapDiff cannot stream');
  }
}

module.exports = { forEachHeapSnapshotChunk };
