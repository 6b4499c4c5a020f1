'use strict';
// The package's install step: node-gyp-build, with the offline header
// directory of gyp-env.js. node-gyp-build loads the addon in a child process
// (a prebuild from prebuilds/<platform>-<arch>/ or an existing build/) and only
// when that fails, or with --build-from-source, runs `node-gyp rebuild`, which
// needs a C/C++ compiler, make and Python.
const { spawnSync } = require('child_process');
const path = require('path');
const { gypEnv } = require('./gyp-env');

const bin = require.resolve('node-gyp-build/bin.js');
const res = spawnSync(process.execPath, [bin], {
  stdio: 'inherit',
  cwd: path.join(__dirname, '..'),
  env: gypEnv(),
});
process.exit(res.status === null ? 1 : res.status);
