'use strict';
// Which Node-API functions a binary may import, by Node-API version: the
// function declarations of Node's own js_native_api.h and node_api.h, run
// through the C preprocessor with -DNAPI_VERSION=<v> (their #if NAPI_VERSION
// guards drop everything newer). Needs cpp (or cc -E) and nm.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function which(cmd) {
  return (process.env.PATH || '').split(path.delimiter)
    .some((dir) => dir && fs.existsSync(path.join(dir, cmd)));
}

// The header directory of the running Node: the distribution's, or a
// configured nodedir. null when none is present.
function nodeIncludeDir() {
  const dirs = [process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  return dirs.find((d) => d && fs.existsSync(path.join(d, 'node_api.h'))) || null;
}

// null (with the reason in `missing`) when the tools or headers are absent.
function toolsMissing() {
  const missing = [];
  if (!which('cpp')) missing.push('cpp');
  if (!which('nm')) missing.push('nm');
  if (!nodeIncludeDir()) missing.push('Node headers (node_api.h)');
  return missing.length ? missing.join(', ') : null;
}

// Set of napi_* / node_api_* function names declared at Node-API version v.
function declaredNapiFunctions(version) {
  const r = spawnSync('cpp', ['-P', `-DNAPI_VERSION=${version}`, '-I', nodeIncludeDir(), '-'],
    { input: '#include <node_api.h>\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cpp failed: ${r.stderr}`);
  return new Set(r.stdout.match(/\b(?:napi|node_api)_\w+(?=\s*\()/g) || []);
}

// The napi_* / node_api_* symbols a shared object imports (undefined dynamic symbols).
function importedNapiSymbols(file) {
  const r = spawnSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nm failed on ${file}: ${r.stderr}`);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop())
    .filter((s) => /^(?:napi|node_api)_/.test(s));
}

// NAPI_VERSION as binding.gyp defines it.
function bindingNapiVersion(root) {
  const m = /NAPI_VERSION=(\d+)/.exec(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
  if (!m) throw new Error('binding.gyp defines no NAPI_VERSION');
  return Number(m[1]);
}

module.exports = { toolsMissing, declaredNapiFunctions, importedNapiSymbols, bindingNapiVersion };
