'use strict';
// Where node-gyp is and how to run it offline. Shared by build.js (checkout
// build), install.js (the package's install step) and prebuild.js (prebuildify).
const fs = require('fs');
const path = require('path');

// node-gyp's entry script: npm's configured one, npm's bundled copy, or a local one.
function nodeGypBin() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  try { return require.resolve('node-gyp/bin/node-gyp.js'); } catch { return null; }
}

// The Node headers directory to use instead of a download: the distribution's
// /usr/include/node when it matches the running Node, unless a nodedir is
// already configured. null means node-gyp uses its own cache or downloads.
function offlineNodedir(env = process.env) {
  if (env.npm_config_nodedir) return null;
  const header = '/usr/include/node/node_version.h';
  if (!fs.existsSync(header)) return null;
  const text = fs.readFileSync(header, 'utf8');
  const major = /#define NODE_MAJOR_VERSION (\d+)/.exec(text);
  if (!major || Number(major[1]) !== Number(process.versions.node.split('.')[0])) return null;
  return '/usr';
}

// process.env plus npm_config_nodedir when the offline headers apply, and
// parallel make jobs (one per CPU) unless configured.
function gypEnv(env = process.env) {
  const dir = offlineNodedir(env);
  const out = { ...env, npm_config_jobs: env.npm_config_jobs || 'max' };
  if (dir) out.npm_config_nodedir = dir;
  return out;
}

module.exports = { nodeGypBin, offlineNodedir, gypEnv };
