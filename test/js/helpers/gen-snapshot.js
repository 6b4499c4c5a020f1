'use strict';
// Synthetic V8 heap snapshots for the tests: random graphs with the features
// the analyzer must get right (weak edges, shortcut edges from the root and
// from elsewhere, unreachable nodes, zero-size nodes, every node type) and
// serialized with a randomly chosen layout (field orders, extra fields, type
// enum orders, whitespace), as the format allows. Deterministic per seed.

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number',
  'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const CLASS_NAMES = ['Object', 'Array', 'Foo', 'Bar', 'Map', 'system / Context', 'Ünïcode "quoted"\\n', 'EventEmitter'];

function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

function shuffle(r, arr) {
  const a = arr.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// A random node (not the root).
function randomNode(r, id) {
  const type = r.chance(0.55) ? 'object' : r.pick(NODE_TYPES);
  let name;
  if (type === 'object' || type === 'native') name = r.pick(CLASS_NAMES);
  else if (type === 'string') name = `str${r.int(50)}`;
  else if (type === 'synthetic') name = `(sub root ${r.int(5)})`;
  else name = `${type}-${r.int(10)}`;
  const self = r.chance(0.1) ? 0 : 8 + 8 * r.int(40);
  return { type, name, id, self, edges: [] };
}

function randomEdge(r, from, to, nodeCount) {
  let type = r.pick(EDGE_TYPES);
  if (type === 'shortcut' && from !== 0 && r.chance(0.5)) type = 'property';
  const numeric = type === 'element' || type === 'hidden';
  return { type, name: numeric ? r.int(nodeCount + 5) : `p${r.int(20)}`, to };
}

/**
 * A random heap graph: node 0 is the root (synthetic, name ""), node 1 is
 * "(GC roots)"; `count` nodes in all. Some nodes are unreachable, some only
 * through weak edges or non-root shortcuts, unless options.reachable: then
 * the root reaches every node over edges that count.
 * @returns {{ nodes: { type, name, id, self, edges: { type, name, to }[] }[] }}
 */
function randomGraph(seed, count = 200, options = {}) {
  const r = rng(seed);
  const n = Math.max(3, count);
  const nodes = [{ type: 'synthetic', name: '', id: 1, self: 0, edges: [] },
    { type: 'synthetic', name: '(GC roots)', id: 3, self: 0, edges: [] }];
  let nextId = options.firstId || 5;
  for (let i = 2; i < n; i++) { nodes.push(randomNode(r, nextId)); nextId += 2 * (1 + r.int(3)); }
  addRandomEdges(r, nodes, options.edgesPerNode || 2.5);
  if (options.reachable) connect(nodes);
  return { nodes, nextId };
}

// The nodes the root reaches over the edges that count for dominators, under
// DevTools' page-owned rule (a subset of what the plain rule reaches).
function reachedFromRoot(nodes) {
  const owned = new Uint8Array(nodes.length);
  const stack = nodes[0].edges.filter((e) => e.type === 'shortcut').map((e) => e.to);
  for (const v of stack) owned[v] = 1;
  while (stack.length) {
    for (const e of nodes[stack.pop()].edges) if (e.type !== 'weak' && !owned[e.to]) { owned[e.to] = 1; stack.push(e.to); }
  }
  const seen = new Uint8Array(nodes.length);
  const todo = [0];
  seen[0] = 1;
  while (todo.length) {
    const u = todo.pop();
    for (const e of nodes[u].edges) {
      const counts = e.type !== 'weak' && (e.type !== 'shortcut' || u === 0) && !(u !== 0 && owned[e.to] && !owned[u]);
      if (counts && !seen[e.to]) { seen[e.to] = 1; todo.push(e.to); }
    }
  }
  return seen;
}

// Gives the root an element edge to each node it cannot reach otherwise, so
// that dominators are defined by the graph alone (no orphan conventions).
function connect(nodes) {
  for (;;) {
    const seen = reachedFromRoot(nodes);
    const missing = seen.indexOf(0);
    if (missing === -1) return;
    nodes[0].edges.push({ type: 'element', name: nodes[0].edges.length, to: missing });
  }
}

function addRandomEdges(r, nodes, perNode) {
  const n = nodes.length;
  nodes[0].edges.push({ type: 'element', name: 1, to: 1 });
  for (let k = 0; k < 3; k++) nodes[0].edges.push({ type: 'shortcut', name: `global${k}`, to: 2 + r.int(n - 2) });
  for (let k = 0; k < 4; k++) nodes[1].edges.push({ type: 'element', name: k, to: 2 + r.int(n - 2) });
  for (let i = 2; i < n; i++) {
    if (r.chance(0.08)) continue; // leaves
    const m = r.int(Math.ceil(perNode * 2));
    // Mostly forward edges (tree-like, like real heaps), some back edges.
    for (let k = 0; k < m; k++) {
      const to = r.chance(0.7) ? Math.min(n - 1, i + 1 + r.int(10)) : 1 + r.int(n - 1);
      nodes[i].edges.push(randomEdge(r, i, to, n));
    }
  }
}

/**
 * The next snapshot of the same process: frees some nodes (their ids vanish),
 * allocates new ones (fresh, higher ids), keeps the rest with their ids and
 * rewires edges at random.
 */
function evolve(graph, seed, { freeRatio = 0.2, allocate = 50, reachable = false } = {}) {
  const r = rng(seed);
  const kept = graph.nodes.slice(0, 2).map((x) => ({ ...x, edges: [] }));
  for (const node of graph.nodes.slice(2)) {
    if (!r.chance(freeRatio)) kept.push({ ...node, edges: [] });
  }
  let nextId = graph.nextId;
  for (let i = 0; i < allocate; i++) { kept.push(randomNode(r, nextId)); nextId += 2; }
  addRandomEdges(r, kept, 2.5);
  if (reachable) connect(kept);
  return { nodes: kept, nextId };
}

/**
 * A random layout for serialization: field orders, extra fields, type enum
 * order and whitespace, all valid per the format.
 */
function randomLayout(seed) {
  const r = rng(seed ^ 0x5bd1e995);
  const nodeFields = shuffle(r, ['type', 'name', 'id', 'self_size', 'edge_count',
    ...(r.chance(0.7) ? ['trace_node_id'] : []), ...(r.chance(0.5) ? ['detachedness'] : [])]);
  const edgeFields = shuffle(r, ['type', 'name_or_index', 'to_node']);
  return {
    nodeFields,
    edgeFields,
    nodeTypes: r.chance(0.5) ? NODE_TYPES.slice() : shuffle(r, NODE_TYPES),
    edgeTypes: r.chance(0.5) ? EDGE_TYPES.slice() : shuffle(r, EDGE_TYPES),
    newlines: r.chance(0.5),
    spaces: r.chance(0.3),
  };
}

const V8_LAYOUT = {
  nodeFields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  edgeFields: ['type', 'name_or_index', 'to_node'],
  nodeTypes: NODE_TYPES,
  edgeTypes: EDGE_TYPES,
  newlines: true,
  spaces: false,
};

function metaTypes(fields, typeNames, specs) {
  return fields.map((f) => (f === 'type' ? typeNames : specs[f] || 'number'));
}

/** Serializes a graph as .heapsnapshot JSON text with the given layout. */
function serialize(graph, layout = V8_LAYOUT) {
  const strings = [];
  const index = new Map();
  const str = (s) => {
    let i = index.get(s);
    if (i === undefined) { i = strings.length; strings.push(s); index.set(s, i); }
    return i;
  };
  str('<dummy>');
  const nf = layout.nodeFields.length;
  const ntype = new Map(layout.nodeTypes.map((t, i) => [t, i]));
  const etype = new Map(layout.edgeTypes.map((t, i) => [t, i]));
  const nodeRows = [];
  const edgeRows = [];
  let edgeCount = 0;
  for (const node of graph.nodes) {
    const values = { type: ntype.get(node.type), name: str(node.name), id: node.id, self_size: node.self,
      edge_count: node.edges.length, trace_node_id: 0, detachedness: 0 };
    nodeRows.push(layout.nodeFields.map((f) => values[f]).join(','));
    for (const e of node.edges) {
      const numeric = e.type === 'element' || e.type === 'hidden';
      const ev = { type: etype.get(e.type), name_or_index: numeric ? e.name : str(String(e.name)), to_node: e.to * nf };
      edgeRows.push(layout.edgeFields.map((f) => ev[f]).join(','));
      edgeCount++;
    }
  }
  const sep = layout.newlines ? ',\n' : ',';
  const sp = layout.spaces ? ' ' : '';
  const meta = {
    node_fields: layout.nodeFields,
    node_types: metaTypes(layout.nodeFields, layout.nodeTypes, { name: 'string' }),
    edge_fields: layout.edgeFields,
    edge_types: metaTypes(layout.edgeFields, layout.edgeTypes, { name_or_index: 'string_or_number', to_node: 'node' }),
    trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
    trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
    sample_fields: ['timestamp_us', 'last_assigned_id'],
    location_fields: ['object_index', 'script_id', 'line', 'column'],
  };
  const header = JSON.stringify({ meta, node_count: graph.nodes.length, edge_count: edgeCount, trace_function_count: 0 });
  return `{"snapshot":${sp}${header},\n"nodes":[${nodeRows.join(sep)}],\n"edges":[${edgeRows.join(sep)}],\n` +
    `"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[],\n` +
    `"strings":[${strings.map((s) => JSON.stringify(s)).join(sep)}]}`;
}

module.exports = { rng, randomGraph, evolve, randomLayout, serialize, V8_LAYOUT, NODE_TYPES, EDGE_TYPES };
