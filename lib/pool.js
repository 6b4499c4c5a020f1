'use strict';
// (Filled in by the pool work.)
module.exports = {};
