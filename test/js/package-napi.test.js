'use strict';
// The addon's Node-API level: binding.gyp's NAPI_VERSION is one every Node in
// package.json's `engines` provides, and the binary imports no Node-API
// function newer than that version (so a prebuild built on a new Node still
// loads on the oldest supported one).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const nodeGypBuild = require('node-gyp-build');
const napi = require('./helpers/napi-symbols');

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

// The Node-API version of the first release of each Node line since 16
// (Node's doc/api/n-api.md version matrix): what an `engines` floor of
// ">=<major>" guarantees.
const NAPI_OF_FIRST_RELEASE = { 16: 8, 18: 8, 20: 8, 22: 9, 24: 10 };

test('engines and NAPI_VERSION agree', () => {
  const m = /^>=\s*(\d+)(?:\.0)*(?:\.0)?$/.exec(pkg.engines.node);
  assert.ok(m, `engines.node is a plain ">=<major>" floor (is ${pkg.engines.node})`);
  const floor = Number(m[1]);
  assert.ok(floor in NAPI_OF_FIRST_RELEASE, `Node ${floor} is in the version table`);
  const version = napi.bindingNapiVersion(root);
  assert.strictEqual(version, NAPI_OF_FIRST_RELEASE[floor],
    `binding.gyp NAPI_VERSION=${version}, Node ${floor}.0.0 (the engines floor) provides Node-API ${NAPI_OF_FIRST_RELEASE[floor]}`);
  assert.ok(Number(process.versions.napi) >= version);
});

test('the version filter is real: newer Node-API functions are dropped at the pinned version', { skip: napi.toolsMissing() || false }, () => {
  const pinned = napi.declaredNapiFunctions(napi.bindingNapiVersion(root));
  const newer = napi.declaredNapiFunctions(10);
  assert.ok(pinned.has('napi_create_function') && pinned.has('napi_add_env_cleanup_hook'));
  // node_api_symbol_for arrived in Node-API 9.
  assert.ok(newer.has('node_api_symbol_for') && !pinned.has('node_api_symbol_for'));
});

// Every binary of this checkout: the one require('memctl') loads, and any prebuilds.
function binaries() {
  const files = new Set([nodeGypBuild.resolve(root)]);
  const dir = path.join(root, 'prebuilds');
  if (fs.existsSync(dir)) {
    for (const sub of fs.readdirSync(dir).filter((d) => d.startsWith('linux-'))) {
      for (const f of fs.readdirSync(path.join(dir, sub))) files.add(path.join(dir, sub, f));
    }
  }
  return [...files].filter((f) => f.endsWith('.node'));
}

test('the binary imports no Node-API function beyond NAPI_VERSION', { skip: process.platform !== 'linux' ? 'nm -D check is Linux-only' : napi.toolsMissing() || false }, () => {
  const allowed = napi.declaredNapiFunctions(napi.bindingNapiVersion(root));
  for (const file of binaries()) {
    const used = napi.importedNapiSymbols(file);
    assert.ok(used.includes('napi_module_register') || used.includes('napi_create_function'), `${file} imports Node-API`);
    const beyond = used.filter((s) => !allowed.has(s));
    assert.deepStrictEqual(beyond, [], `${file} imports Node-API functions newer than NAPI_VERSION`);
  }
});
