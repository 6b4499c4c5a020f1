'use strict';
// (Filled in by the snapshot work.)
module.exports = {};
