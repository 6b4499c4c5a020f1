'use strict';
// `memctl snapshot` end to end (bin/memctl.js in a child process): tables,
// --json equal to the API's results, progress on stderr, exit codes.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const memctl = require('../../lib');
const gen = require('./helpers/gen-snapshot');

const BIN = path.join(__dirname, '..', '..', 'bin', 'memctl.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-snapcli-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args) {
  return spawnSync(process.execPath, [BIN, 'snapshot', ...args], { encoding: 'utf8' });
}

function write(name, graph, layout) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, gen.serialize(graph, layout));
  return file;
}

const g1 = gen.randomGraph(21, 400);
const g2 = gen.evolve(g1, 22, { allocate: 80 });
const g3 = gen.evolve(g2, 23, { freeRatio: 0.3, allocate: 5 });
const f1 = write('one.heapsnapshot', g1, gen.randomLayout(1));
const f2 = write('two.heapsnapshot', g2);
const f3 = write('three.heapsnapshot', g3);

test('summary: --json equals analyzeSnapshot; the table lists the top classes', async () => {
  const r = run(f1, '--json', '--top', '5');
  assert.strictEqual(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const api = await memctl.analyzeSnapshot(f1, { top: 5 });
  assert.strictEqual(json.file, f1);
  assert.deepStrictEqual({ ...json, file: undefined, seconds: undefined }, { ...api, file: undefined, seconds: undefined });
  const t = run(f1, '--top=3');
  assert.strictEqual(t.status, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`${api.nodeCount.toLocaleString('en-US')} nodes`));
  const lines = t.stdout.trim().split('\n');
  assert.match(lines[2], /^#\s+Class\s+Count\s+Self size\s+Retained size/);
  assert.strictEqual(lines.length, 3 + 3);
  for (const c of api.classes.slice(0, 3)) assert.ok(t.stdout.includes(c.name.replace(/\s+/g, ' ')), c.name);
  assert.strictEqual(t.stderr, ''); // stderr is not a terminal: no progress
});

test('summary --self: no retained sizes, sorted by self size', () => {
  const r = run(f1, '--json', '--self', '--all');
  assert.strictEqual(r.status, 0, r.stderr);
  const { classes } = JSON.parse(r.stdout);
  assert.ok(classes.every((c) => c.retainedSize === 0));
  for (let i = 1; i < classes.length; i++) assert.ok(classes[i - 1].selfSize >= classes[i].selfSize);
});

test('--dominators plain equals analyzeSnapshot in plain mode', async () => {
  const r = run(f1, '--json', '--all', '--dominators', 'plain');
  assert.strictEqual(r.status, 0, r.stderr);
  const api = await memctl.analyzeSnapshot(f1, { dominators: 'plain' });
  assert.deepStrictEqual(JSON.parse(r.stdout).classes, api.classes);
  assert.strictEqual(run(f1, '--dominators=other').status, 2);
});

test('"-" reads the snapshot from standard input', async () => {
  const r = spawnSync(process.execPath, [BIN, 'snapshot', '-', '--json'], { input: fs.readFileSync(f1), encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  const api = await memctl.analyzeSnapshot(f1, { top: 20 });
  assert.deepStrictEqual(JSON.parse(r.stdout).classes, api.classes);
});

test('--progress prints progress lines on stderr', () => {
  const r = run(f1, '--progress');
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /parsing one\.heapsnapshot: 100%/);
});

test('diff: --json equals diffSnapshots; the table shows allocated and freed', async () => {
  const r = run('diff', f1, f2, '--json', '--all');
  assert.strictEqual(r.status, 0, r.stderr);
  assert.deepStrictEqual(JSON.parse(r.stdout), await memctl.diffSnapshots(f1, f2));
  const t = run('diff', f1, f2);
  assert.strictEqual(t.status, 0, t.stderr);
  assert.match(t.stdout, /^before: /);
  assert.match(t.stdout, /Class\s+Allocated\s+Freed\s+Size change/);
});

test('leaks: --json equals findLeaks; the text shows retainer paths', async () => {
  const r = run('leaks', f1, f2, f3, '--json');
  assert.strictEqual(r.status, 0, r.stderr);
  const api = await memctl.findLeaks(f1, f2, f3, { top: 20 });
  assert.deepStrictEqual(JSON.parse(r.stdout), api);
  assert.ok(api.length > 0);
  const t = run('leaks', f1, f2, f3);
  assert.strictEqual(t.status, 0, t.stderr);
  assert.match(t.stdout, /retainer paths/);
  assert.ok(t.stdout.includes(`@${api[0].retainerPath[api[0].retainerPath.length - 1].node.id}`));
});

test('bad files exit 1 with the file and the code; bad usage exits 2', () => {
  const bad = path.join(dir, 'bad.heapsnapshot');
  fs.writeFileSync(bad, '{"snapshot":{"meta":');
  let r = run(bad);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /bad\.heapsnapshot: .*\(ERR_MEMCTL_SNAPSHOT_TRUNCATED\)/);
  r = run(path.join(dir, 'missing.heapsnapshot'));
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
  r = run('diff', f1, bad);
  assert.strictEqual(r.status, 1);
  r = run();
  assert.strictEqual(r.status, 2);
  assert.match(r.stderr, /usage:/);
  assert.strictEqual(run('diff', f1).status, 2);
  assert.strictEqual(run('leaks', f1, f2).status, 2);
  assert.strictEqual(run(f1, '--top', 'x').status, 2);
  assert.strictEqual(run(f1, '--bogus').status, 2);
  r = run('--help');
  assert.strictEqual(r.status, 0);
  assert.match(r.stdout, /memctl snapshot diff/);
});
