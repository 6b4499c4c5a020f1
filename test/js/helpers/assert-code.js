'use strict';
// Shared test helpers for coded errors and the cache's test clock.
const assert = require('node:assert');
const native = require('../../../lib/native');

// assert.throws(fn, code('ERR_MEMCTL_...', 'TypeError')): the error's code
// (and name, when given) must match.
const code = (c, name) => (err) => {
  assert.strictEqual(err.code, c, err.message);
  if (name) assert.strictEqual(err.name, name);
  return true;
};

// Runs fn(setClock) with the native cache clock fixed by setClock(ms); the
// real clock is always restored.
function withClock(fn) {
  try {
    return fn((ms) => native.cacheFakeClock(ms));
  } finally {
    native.cacheFakeClock(undefined);
  }
}

module.exports = { code, withClock };
