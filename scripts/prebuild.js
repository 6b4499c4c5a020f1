'use strict';
// Builds this platform's prebuild with prebuildify: one Node-API binary
// (NAPI_VERSION from binding.gyp, so it loads in every Node the engines field
// allows), stripped, libc-tagged: prebuilds/<platform>-<arch>/memctl.<libc>.node
// on Linux, memctl.node elsewhere. Offline headers as in gyp-env.js.
// Usage: node scripts/prebuild.js [extra prebuildify options, e.g. --arch arm64]
const { spawnSync } = require('child_process');
const path = require('path');
const { nodeGypBin, gypEnv } = require('./gyp-env');

const root = path.join(__dirname, '..');
const args = ['--napi', '--strip', ...process.argv.slice(2)];
if (process.platform === 'linux') args.push('--tag-libc');
const env = gypEnv();
const gyp = nodeGypBin();
// prebuildify spawns node-gyp itself; a script path works where shebangs do.
if (gyp && process.platform !== 'win32' && !env.PREBUILD_NODE_GYP) env.PREBUILD_NODE_GYP = gyp;
const res = spawnSync(process.execPath, [require.resolve('prebuildify/bin.js'), ...args], {
  stdio: 'inherit', cwd: root, env,
});
process.exit(res.status === null ? 1 : res.status);
