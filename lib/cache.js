'use strict';
// (Filled in by the cache work.)
module.exports = {};
