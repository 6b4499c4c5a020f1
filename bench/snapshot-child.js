'use strict';
// One measurement of bench/snapshot.js, alone in its own process so that its
// peak memory (VmHWM) is its own: `node snapshot-child.js <mode> <snapshot> <out.json>`.
// Modes: memctl-histogram, memctl-retained (DevTools' rules),
// memctl-retained-plain (without DevTools' page-owned rule, as memlab), memlab, json-parse. Writes
// { seconds, peakBytes, ...results } (or { error }) to out.json.
const fs = require('fs');
const path = require('path');

function peakBytes() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+)\s+kB/);
  return m ? Number(m[1]) * 1024 : null;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
// CPU seconds of the whole process (all threads: the analyzer's async work
// runs on a libuv thread), steadier than wall time on a shared machine.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// DevTools' class of a node (the rule docs/snapshots.md documents).
function className(type, name) {
  switch (type) {
    case 'object': case 'native': return name;
    case 'hidden': return '(system)';
    case 'code': return '(compiled code)';
    default: return `(${type})`;
  }
}

async function memctl(file, retained, dominators = 'devtools') {
  const { parseSnapshot } = require(path.join(__dirname, '..', 'lib', 'snapshot'));
  const t0 = now();
  const c0 = cpu();
  const snap = await parseSnapshot(file, { retained, dominators });
  const summary = snap.summary({ retained });
  const seconds = now() - t0;
  const cpuSeconds = cpu() - c0;
  const peak = peakBytes();
  snap.close();
  return { seconds, cpuSeconds, peakBytes: peak, nodeCount: summary.nodeCount, edgeCount: summary.edgeCount,
    totalSize: summary.totalSize, classCount: summary.classes.length, top: summary.classes.slice(0, 10) };
}

// memlab's parser and its dominator/retained-size pass, then (outside the
// timed part) a class histogram from memlab's per-node results with the same
// class rule and the same no-double-counting rule as memctl, for agreement.
async function memlab(file) {
  const { utils, config, TraceFinder } = require('@memlab/core');
  config.verbose = false;
  config.muteConsole = true;
  const t0 = now();
  const c0 = cpu();
  const snapshot = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: false });
  const t1 = now();
  new TraceFinder().calculateAllNodesRetainedSizes(snapshot);
  const t2 = now();
  const cpuSeconds = cpu() - c0;
  const peak = peakBytes();
  return { seconds: t2 - t0, cpuSeconds, parseSeconds: t1 - t0, retainedSeconds: t2 - t1, peakBytes: peak, ...memlabHistogram(snapshot) };
}

function memlabHistogram(snapshot) {
  const n = snapshot.nodes.length;
  const classOf = new Int32Array(n).fill(-1);
  const dom = new Int32Array(n);
  const retained = new Float64Array(n);
  const ids = new Map();
  const classes = [];
  let totalSize = 0;
  for (let i = 0; i < n; i++) {
    const node = snapshot.nodes.get(i);
    totalSize += node.self_size;
    retained[i] = node.retainedSize;
    dom[i] = node.dominatorNode ? node.dominatorNode.nodeIndex : 0;
    if (node.self_size === 0 && node.type !== 'native') continue;
    const name = className(node.type, node.name);
    let c = ids.get(name);
    if (c === undefined) { c = classes.length; ids.set(name, c); classes.push({ name, count: 0, selfSize: 0, retainedSize: 0 }); }
    classOf[i] = c;
    classes[c].count++;
    classes[c].selfSize += node.self_size;
  }
  addClassRetained(classOf, dom, retained, classes);
  classes.sort((a, b) => b.retainedSize - a.retainedSize);
  return { nodeCount: n, edgeCount: snapshot.edges.length, totalSize, classCount: classes.length, classes };
}

// Sums the retained sizes of class members with no same-class dominator
// ancestor: a depth-first walk of the dominator tree with per-class counters.
function addClassRetained(classOf, dom, retained, classes) {
  const n = dom.length;
  const childStart = new Int32Array(n + 1);
  for (let i = 1; i < n; i++) childStart[dom[i] + 1]++;
  for (let i = 0; i < n; i++) childStart[i + 1] += childStart[i];
  const fill = childStart.slice(0, n);
  const children = new Int32Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) children[fill[dom[i]]++] = i;
  const onPath = new Int32Array(classes.length);
  const stack = new Int32Array(2 * n + 2);
  let sp = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const top = stack[--sp];
    if (top < 0) { const c = classOf[~top]; if (c >= 0) onPath[c]--; continue; }
    const c = classOf[top];
    if (c >= 0) {
      if (onPath[c] === 0) classes[c].retainedSize += retained[top];
      onPath[c]++;
    }
    stack[sp++] = ~top;
    for (let k = childStart[top]; k < childStart[top + 1]; k++) stack[sp++] = children[k];
  }
}

function jsonParse(file) {
  const t0 = now();
  const c0 = cpu();
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { seconds: now() - t0, cpuSeconds: cpu() - c0, peakBytes: peakBytes(), nodeCount: doc.snapshot.node_count };
  } catch (err) {
    return { seconds: now() - t0, cpuSeconds: cpu() - c0, peakBytes: peakBytes(), error: `${err.code || err.name}: ${err.message}` };
  }
}

async function main() {
  const [mode, file, out] = process.argv.slice(2);
  const modes = {
    'memctl-histogram': () => memctl(file, false),
    'memctl-retained': () => memctl(file, true),
    'memctl-retained-plain': () => memctl(file, true, 'plain'),
    memlab: () => memlab(file),
    'json-parse': () => jsonParse(file),
  };
  let result;
  try {
    result = await modes[mode]();
  } catch (err) {
    result = { error: `${err.code || err.name}: ${err.message}`, peakBytes: peakBytes() };
  }
  fs.writeFileSync(out, JSON.stringify(result));
}

main();
