'use strict';
// (Filled in by the leak-watcher work.)
module.exports = {};
