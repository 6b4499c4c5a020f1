'use strict';
// Builds the addon with node-gyp, offline: when the machine has Node's headers
// under /usr/include/node and no nodedir is configured, point node-gyp there so
// it never tries to download them.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function nodeGypBin() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  try { return require.resolve('node-gyp/bin/node-gyp.js'); } catch { return null; }
}

const args = ['rebuild'];
const configured = process.env.npm_config_nodedir;
if (!configured && fs.existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
if (process.env.MEMCTL_DEBUG) args.push('--debug');
const gyp = nodeGypBin();
const res = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit', cwd: path.join(__dirname, '..') })
  : spawnSync('node-gyp', args, { stdio: 'inherit', shell: true, cwd: path.join(__dirname, '..') });
process.exit(res.status === null ? 1 : res.status);
