'use strict';
// Builds the addon from source into build/Release with node-gyp, offline: when
// the machine has Node's headers under /usr/include/node and no nodedir is
// configured, node-gyp is pointed there so it never tries to download them.
const { spawnSync } = require('child_process');
const path = require('path');
const { nodeGypBin, gypEnv } = require('./gyp-env');

const args = ['rebuild'];
if (process.env.MEMCTL_DEBUG) args.push('--debug');
const gyp = nodeGypBin();
const opts = { stdio: 'inherit', cwd: path.join(__dirname, '..'), env: gypEnv() };
const res = gyp
  ? spawnSync(process.execPath, [gyp, ...args], opts)
  : spawnSync('node-gyp', args, { ...opts, shell: true });
process.exit(res.status === null ? 1 : res.status);
