'use strict';
// memctl: every public export, gathered from the module files.
module.exports = Object.assign(
  {},
  require('./cache'),
  require('./pool'),
  require('./leak-watcher'),
  require('./snapshot'),
  require('./shared-cache'),
);
