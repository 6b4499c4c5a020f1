'use strict';
// Runs a script in a fresh node process (with --expose-gc by default), for
// tests that need global.gc, a clean heap or a crash kept out of the runner.
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');

// Returns { status, signal, stdout, stderr } of `node <flags> -e code`.
// options: flags (default ['--expose-gc']), env (added to process.env), cwd,
// timeout in ms (default 120 s: a hung child fails the test, not the run).
function runNode(code, { flags = ['--expose-gc'], env, cwd, timeout = 120_000 } = {}) {
  const r = spawnSync(process.execPath, [...flags, '-e', code], {
    encoding: 'utf8', env: env ? { ...process.env, ...env } : process.env, cwd, timeout,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// Like runNode, asserts a clean exit and returns the JSON document the script
// printed as its last line of output.
function runNodeJson(code, options) {
  const r = runNode(code, options);
  assert.strictEqual(r.status, 0, `the child exited with ${r.status} (signal ${r.signal})\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

module.exports = { runNode, runNodeJson };
