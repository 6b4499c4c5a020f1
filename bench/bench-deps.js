'use strict';
// Peers that only an optional comparison needs (memlab for `bench --snapshot`)
// are not devDependencies: `npm install` of a checkout stays lean. The command
// that compares installs them on first use into .bench-deps/ (gitignored),
// and they stay there for later runs.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const DIR = path.join(__dirname, '..', '.bench-deps');

// The node_modules directory that holds `name`, installing `name@range` into
// .bench-deps/ first when it is missing. Throws with the npm output on failure.
function ensureBenchDep(name, range, why) {
  const modules = path.join(DIR, 'node_modules');
  if (fs.existsSync(path.join(modules, name, 'package.json'))) return modules;
  process.stderr.write(`memctl bench: ${why} needs ${name}, which "npm install" does not install ` +
    `(it is only for this comparison). Installing ${name}@${range} into ${DIR} once ...\n`);
  fs.mkdirSync(DIR, { recursive: true });
  const manifest = path.join(DIR, 'package.json');
  if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{ "private": true, "description": "memctl benchmark peers, installed on demand" }\n');
  // --ignore-scripts: the parser needs no browser download (puppeteer) and no native addon builds.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', DIR, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline',
    '--save', `${name}@${range}`], { stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  if (r.status !== 0 || !fs.existsSync(path.join(modules, name, 'package.json'))) {
    throw new Error(`installing ${name}@${range} into ${DIR} failed (exit ${r.status}); ` +
      `run "npm install --prefix .bench-deps --ignore-scripts ${name}@${range}" yourself`);
  }
  return modules;
}

module.exports = { ensureBenchDep, BENCH_DEPS_DIR: DIR };
