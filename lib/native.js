'use strict';
// Loads the compiled addon once per environment (main thread or worker).
// node-gyp-build resolves it: a local build (build/Release, then build/Debug)
// when there is one, otherwise the prebuild in prebuilds/<platform>-<arch>/
// that fits this platform, libc and Node-API version. An installed package
// has a build/ directory only when its install step compiled (no prebuild
// fitted, or --build-from-source), so there the prebuild is what loads; in a
// checkout the developer's own build always wins over a packed prebuild.
const path = require('path');
const nodeGypBuild = require('node-gyp-build');
// errors.js requires nothing, so loading it here cannot form a cycle.
const { error } = require('./errors');

const root = path.join(__dirname, '..');

function resolve() {
  try {
    return nodeGypBuild.resolve(root);
  } catch (err) {
    // node-gyp-build's only throw here is "No native build was found ...".
    throw error('ERR_MEMCTL_NOT_BUILT', `memctl: the native addon is not built and no prebuild fits this platform (${err.message.trim()}); ` +
      'run "npm run build" (needs a C/C++ compiler, make and Python)');
  }
}

module.exports = require(resolve());
