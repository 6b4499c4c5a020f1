'use strict';
// The TypeScript declarations: test/types/usage.ts (every public API used as
// a user would, with @ts-expect-error lines for misuse) must pass
// `tsc --noEmit --strict`, and the declared names must match the runtime
// exports both ways (test/types/check-exports.js). Skipped only when the
// typescript devDependency is not installed.
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

function typescriptInstalled() {
  try {
    require.resolve('typescript/package.json', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

const SKIP = typescriptInstalled() ? false : 'typescript is not installed (npm install -D typescript)';

test('usage.ts type-checks with tsc --noEmit --strict', { skip: SKIP, timeout: 120_000 }, () => {
  const { tscPath } = require('../types/check-exports');
  const r = spawnSync(process.execPath, [tscPath(), '-p', path.join(root, 'test/types/tsconfig.json'),
    '--noEmit', '--strict', '--pretty', 'false'], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

test('the same files type-check with module node16 (ESM named imports included)', { skip: SKIP, timeout: 120_000 }, () => {
  const { tscPath } = require('../types/check-exports');
  const r = spawnSync(process.execPath, [tscPath(), '-p', path.join(root, 'test/types/tsconfig.json'),
    '--noEmit', '--strict', '--pretty', 'false', '--module', 'node16', '--moduleResolution', 'node16'], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `tsc (node16) failed:\n${r.stdout}${r.stderr}`);
});

test('every runtime export has a declaration and every declaration a runtime export', { skip: SKIP, timeout: 120_000 }, () => {
  const { checkExports } = require('../types/check-exports');
  const r = checkExports();
  assert.ok(r.ok, `declarations and runtime exports differ:\n${r.output}\ngenerated check:\n${r.source}`);
});

test('lru-typed.ts (lru-cache-typed code) also type-checks against lru-cache itself', { skip: SKIP, timeout: 120_000 }, () => {
  const fs = require('node:fs');
  const { typecheckSource } = require('../types/check-exports');
  const src = fs.readFileSync(path.join(root, 'test/types/lru-typed.ts'), 'utf8');
  const swapped = src.replace("import { LRUCache } from 'memctl';", "import { LRUCache } from 'lru-cache';");
  assert.notStrictEqual(swapped, src, 'the import line to switch was not found');
  // Inside the repository so that 'lru-cache' resolves from its node_modules.
  const r = typecheckSource(path.join(root, 'test/types/.lru-typed-'), 'lru-typed.ts', swapped);
  assert.ok(r.ok, `tsc failed on the lru-cache variant:\n${r.output}`);
});
