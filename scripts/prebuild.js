'use strict';
// Builds this platform's prebuild with prebuildify: one Node-API binary
// (NAPI_VERSION from binding.gyp, so it loads in every Node the engines field
// allows), stripped, libc-tagged: prebuilds/<platform>-<arch>/memctl.<libc>.node
// on Linux, memctl.node elsewhere. Offline headers as in gyp-env.js.
// Usage: node scripts/prebuild.js [extra prebuildify options, e.g. --arch arm64]
const { spawnSync } = require('child_process');
const fs = require('fs');
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
if (res.status === 0 && process.argv.length === 2) restoreLocalBuild();
process.exit(res.status === null ? 1 : res.status);

// prebuildify moves build/Release/memctl.node into prebuilds/. Put a copy back:
// in a checkout the local build is what loads (lib/native.js), so a prebuild
// left behind by `npm pack` never stands in for sources edited afterwards.
function restoreLocalBuild() {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const built = fs.readdirSync(dir).filter((f) => f.endsWith('.node'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  fs.copyFileSync(built, path.join(root, 'build', 'Release', 'memctl.node'));
}
