'use strict';
// The tests' seeded pseudo-random generator: rng(seed) -> { next, int, pick,
// chance }, reproducible per seed. It lives in gen-snapshot.js for now (that
// file is being changed on another branch); this module is the name tests
// other than the snapshot ones use, so the code can move here later without
// touching them.
const { rng } = require('./gen-snapshot');

module.exports = { rng };
