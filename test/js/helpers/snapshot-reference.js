'use strict';
// An independent, deliberately simple reference analyzer for small snapshots:
// JSON.parse, then the rules documented in docs/snapshots.md computed the
// obvious way (a class histogram with a Map, Cooper-Harvey-Kennedy's iterative
// dominator algorithm, retained sizes by a walk of the dominator tree, diff
// and leaks by id sets). It shares no code with the native analyzer.

function load(text) {
  const doc = typeof text === 'string' ? JSON.parse(text) : text;
  const meta = doc.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nIdx = (f) => meta.node_fields.indexOf(f);
  const eIdx = (f) => meta.edge_fields.indexOf(f);
  const nodeTypes = meta.node_types[nIdx('type')];
  const edgeTypes = meta.edge_types[eIdx('type')];
  const count = doc.nodes.length / nf;
  const nodes = [];
  let e = 0;
  for (let i = 0; i < count; i++) {
    const row = doc.nodes.slice(i * nf, i * nf + nf);
    const node = {
      index: i,
      type: nodeTypes[row[nIdx('type')]],
      name: doc.strings[row[nIdx('name')]],
      id: row[nIdx('id')],
      self: row[nIdx('self_size')],
      edges: [],
    };
    const edgeCount = row[nIdx('edge_count')];
    for (let k = 0; k < edgeCount; k++, e++) {
      const erow = doc.edges.slice(e * ef, e * ef + ef);
      const type = edgeTypes[erow[eIdx('type')]];
      const raw = erow[eIdx('name_or_index')];
      const numeric = type === 'element' || type === 'hidden';
      node.edges.push({ type, name: numeric ? String(raw) : doc.strings[raw], to: erow[eIdx('to_node')] / nf });
    }
    nodes.push(node);
  }
  return { nodes, edgeCount: doc.edges.length / ef };
}

function className(node) {
  switch (node.type) {
    case 'object': case 'native': return node.name;
    case 'hidden': return '(system)';
    case 'code': return '(compiled code)';
    default: return `(${node.type})`;
  }
}

const inHistogram = (node) => node.self > 0 || node.type === 'native';
const essential = (from, edge) => edge.type !== 'weak' && (edge.type !== 'shortcut' || from === 0);

// DevTools' page-owned nodes (JSHeapSnapshot._markPageOwnedNodes): the root's
// shortcut children (the global objects) and everything reachable from them
// over non-weak edges.
function pageOwned(snap) {
  const flags = new Uint8Array(snap.nodes.length);
  const stack = [];
  for (const e of snap.nodes[0].edges) {
    if (e.type === 'shortcut' && !flags[e.to]) { flags[e.to] = 1; stack.push(e.to); }
  }
  while (stack.length) {
    for (const e of snap.nodes[stack.pop()].edges) {
      if (e.type !== 'weak' && !flags[e.to]) { flags[e.to] = 1; stack.push(e.to); }
    }
  }
  return flags;
}

// Successors over the edges that count for dominators: not weak, shortcuts
// only from the root, and in 'devtools' mode not from a node outside the
// page-owned set into one inside it (except from the root). As in DevTools,
// a node no edge that counts points to (only weak retainers, or none) hangs
// from the root: the root gets an edge to it.
function successors(snap, mode) {
  const flags = mode === 'devtools' ? pageOwned(snap) : null;
  const keep = (from, e) => essential(from, e) && !(flags && from !== 0 && flags[e.to] && !flags[from]);
  const succ = snap.nodes.map((n) => n.edges.filter((e) => keep(n.index, e)).map((e) => e.to));
  const retained = new Uint8Array(snap.nodes.length);
  for (const n of snap.nodes) for (const e of n.edges) if (essential(n.index, e)) retained[e.to] = 1;
  for (let v = 1; v < snap.nodes.length; v++) if (!retained[v]) succ[0].push(v);
  return succ;
}

function postorder(succ) {
  const order = [];
  const seen = new Uint8Array(succ.length);
  const stack = [[0, 0]];
  seen[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const next = succ[top[0]];
    if (top[1] < next.length) {
      const t = next[top[1]++];
      if (!seen[t]) { seen[t] = 1; stack.push([t, 0]); }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

// Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm", over the
// nodes reachable from the root, iterated to the fixed point; the others
// (cycles nothing reachable points into) are children of the root and their
// edges play no part (DevTools' result for them).
function dominators(succ) {
  const n = succ.length;
  const order = postorder(succ);
  const po = new Int32Array(n).fill(-1);
  order.forEach((v, i) => { po[v] = i; });
  const preds = Array.from({ length: n }, () => []);
  succ.forEach((ts, v) => { for (const t of ts) preds[t].push(v); });
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  for (let v = 0; v < n; v++) if (po[v] === -1) preds[v] = [];
  const intersect = (a, b) => {
    while (a !== b) {
      while (po[a] < po[b]) a = idom[a];
      while (po[b] < po[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      if (v === 0) continue;
      let d = -1;
      for (const p of preds[v]) {
        if (idom[p] === -1 || po[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[v]) { idom[v] = d; changed = true; }
    }
  }
  for (let v = 0; v < n; v++) if (idom[v] === -1) idom[v] = 0;
  return { idom, order: [...order.slice(0, -1), ...unreached(po), 0] };
}

function unreached(po) {
  const out = [];
  for (let v = 0; v < po.length; v++) if (po[v] === -1) out.push(v);
  return out;
}

/**
 * Dominators and retained sizes of every node; mode 'devtools' (DevTools'
 * page-owned rule, the analyzer's default) or 'plain'.
 */
function retained(snap, mode = 'devtools') {
  snap._retained = snap._retained || {};
  if (snap._retained[mode]) return snap._retained[mode];
  const succ = successors(snap, mode);
  const { idom, order } = dominators(succ);
  const size = snap.nodes.map((n) => n.self);
  for (const v of order) if (v !== 0) size[idom[v]] += size[v];
  const children = Array.from({ length: snap.nodes.length }, () => []);
  for (let v = 1; v < snap.nodes.length; v++) children[idom[v]].push(v);
  snap._retained[mode] = { idom, size, children };
  return snap._retained[mode];
}

// Sum of retained sizes per group over the members (group(node) !== null)
// that have no dominator-tree ancestor in the same group.
function groupRetained(snap, group, mode) {
  const { size, children } = retained(snap, mode);
  const onPath = new Map();
  const sums = new Map();
  const stack = [[0, false]];
  while (stack.length) {
    const [v, leaving] = stack.pop();
    const g = group(snap.nodes[v]);
    if (leaving) {
      if (g !== null) onPath.set(g, onPath.get(g) - 1);
      continue;
    }
    if (g !== null) {
      if (!onPath.get(g)) sums.set(g, (sums.get(g) || 0) + size[v]);
      onPath.set(g, (onPath.get(g) || 0) + 1);
    }
    stack.push([v, true]);
    for (const c of children[v]) stack.push([c, false]);
  }
  return sums;
}

const byRetainedThenName = (a, b) => b.retainedSize - a.retainedSize || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const bySelfThenName = (a, b) => b.selfSize - a.selfSize || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function summary(snap, { retained: withRetained = true, dominators: mode = 'devtools' } = {}) {
  const classes = new Map();
  for (const node of snap.nodes) {
    if (!inHistogram(node)) continue;
    const name = className(node);
    const c = classes.get(name) || { name, count: 0, selfSize: 0, retainedSize: 0 };
    c.count++;
    c.selfSize += node.self;
    classes.set(name, c);
  }
  if (withRetained) {
    const sums = groupRetained(snap, (n) => (inHistogram(n) ? className(n) : null), mode);
    for (const c of classes.values()) c.retainedSize = sums.get(c.name) || 0;
  }
  return {
    nodeCount: snap.nodes.length,
    edgeCount: snap.edgeCount,
    totalSize: snap.nodes.reduce((s, n) => s + n.self, 0),
    classes: [...classes.values()].sort(withRetained ? byRetainedThenName : bySelfThenName),
  };
}

function diff(before, after) {
  const beforeIds = new Set(before.nodes.map((n) => n.id));
  const afterIds = new Set(after.nodes.map((n) => n.id));
  const details = new Map();
  const detail = (name) => {
    let d = details.get(name);
    if (!d) { d = { what: name, size_bytes: 0, '+': 0, '-': 0 }; details.set(name, d); }
    return d;
  };
  const side = (snap) => {
    const members = snap.nodes.filter(inHistogram);
    return { nodes: members.length, size_bytes: members.reduce((s, n) => s + n.self, 0) };
  };
  let allocated = 0;
  let freed = 0;
  for (const n of after.nodes) {
    if (!inHistogram(n) || beforeIds.has(n.id)) continue;
    allocated++;
    const d = detail(className(n));
    d['+']++;
    d.size_bytes += n.self;
  }
  for (const n of before.nodes) {
    if (!inHistogram(n) || afterIds.has(n.id)) continue;
    freed++;
    const d = detail(className(n));
    d['-']++;
    d.size_bytes -= n.self;
  }
  const b = side(before);
  const a = side(after);
  return {
    before: b,
    after: a,
    change: {
      size_bytes: a.size_bytes - b.size_bytes,
      freed_nodes: freed,
      allocated_nodes: allocated,
      details: [...details.values()].sort((x, y) => Math.abs(y.size_bytes) - Math.abs(x.size_bytes) ||
        (x.what < y.what ? -1 : x.what > y.what ? 1 : 0)),
    },
  };
}

const INTERNAL_TYPES = new Set(['hidden', 'synthetic', 'code', 'object shape']);

/** Shortest distances from the root (BFS over the edges that count, no virtual edges). */
function distances(snap) {
  const dist = new Int32Array(snap.nodes.length).fill(-1);
  dist[0] = 0;
  const queue = [0];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const e of snap.nodes[v].edges) {
      if (!essential(v, e) || dist[e.to] !== -1) continue;
      dist[e.to] = dist[v] + 1;
      queue.push(e.to);
    }
  }
  return dist;
}

/** Leak groups: { name, count, selfSize, retainedSize, maxRetained, members, distance } sorted like findLeaks. */
function leaks(baseline, target, final, mode = 'devtools') {
  const baseIds = new Set(baseline.nodes.map((n) => n.id));
  const targetIds = new Set(target.nodes.map((n) => n.id));
  const dist = distances(final);
  const { size } = retained(final, mode);
  const isLeak = (n) => !baseIds.has(n.id) && targetIds.has(n.id) && dist[n.index] !== -1 &&
    !INTERNAL_TYPES.has(n.type) && inHistogram(n);
  const groups = new Map();
  for (const n of final.nodes) {
    if (!isLeak(n)) continue;
    const name = className(n);
    const g = groups.get(name) || { name, count: 0, selfSize: 0, retainedSize: 0, maxRetained: -1, members: [] };
    g.count++;
    g.selfSize += n.self;
    g.members.push(n.index);
    g.maxRetained = Math.max(g.maxRetained, size[n.index]);
    groups.set(name, g);
  }
  const sums = groupRetained(final, (n) => (isLeak(n) ? className(n) : null), mode);
  for (const g of groups.values()) g.retainedSize = sums.get(g.name) || 0;
  return { groups: [...groups.values()].sort(byRetainedThenName), dist, retainedSizes: size };
}

module.exports = { load, className, summary, diff, leaks, retained, successors, essential, distances, inHistogram };
