'use strict';
// Loads the compiled addon once per environment (main thread or worker).
const path = require('path');
// errors.js requires nothing, so loading it here cannot form a cycle.
const { error } = require('./errors');

function load() {
  const root = path.join(__dirname, '..');
  const tried = [];
  for (const dir of ['build/Release', 'build/Debug']) {
    const file = path.join(root, dir, 'memctl.node');
    try {
      return require(file);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      tried.push(file);
    }
  }
  throw error('ERR_MEMCTL_NOT_BUILT', `memctl: the native addon is not built (looked for ${tried.join(', ')}); run "npm install" or "npm run build"`);
}

module.exports = load();
