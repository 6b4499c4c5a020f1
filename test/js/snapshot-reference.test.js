'use strict';
// The reference analyzer itself, on a graph small enough to work out by hand:
// the native analyzer is checked against this reference elsewhere, so the
// reference must be right first.
const test = require('node:test');
const assert = require('node:assert');
const gen = require('./helpers/gen-snapshot');
const ref = require('./helpers/snapshot-reference');

// 0 root -element-> 1 (GC roots); 0 -shortcut-> A; 1 -> B; A -> C; B -> C;
// C -> D; A -weak-> E (only weakly held); B -shortcut-> F (a shortcut not from
// the root does not count); G -> H, G unreachable; Z: size 0, unreachable.
// As in DevTools, nodes without retainers that count (E, F, G, Z) hang from
// the root, and what they hold hangs from them (H under G).
function handGraph() {
  const obj = (name, id, self, edges = []) => ({ type: 'object', name, id, self, edges });
  const e = (type, name, to) => ({ type, name, to });
  return {
    nodes: [
      { type: 'synthetic', name: '', id: 1, self: 0, edges: [e('element', 1, 1), e('shortcut', 'global', 2)] },
      { type: 'synthetic', name: '(GC roots)', id: 3, self: 0, edges: [e('element', 0, 3)] },
      obj('Foo', 5, 10, [e('property', 'c', 4), e('weak', 'e', 6)]), // A = 2
      obj('Foo', 7, 20, [e('property', 'c', 4), e('shortcut', 'f', 7)]), // B = 3
      obj('Foo', 9, 30, [e('property', 'd', 5), e('property', 'k', 11)]), // C = 4
      obj('Bar', 11, 40), // D = 5
      obj('Bar', 13, 50), // E = 6
      obj('Baz', 15, 60), // F = 7
      obj('Baz', 17, 70, [e('internal', 'h', 9)]), // G = 8
      obj('Baz', 19, 80), // H = 9
      obj('Zero', 21, 0), // Z = 10
      obj('Foo', 23, 5), // K = 11, under C: counted once in Foo's retained size
    ],
  };
}

test('reference: dominators and retained sizes of a hand-checked graph', () => {
  for (const layout of [gen.V8_LAYOUT, gen.randomLayout(7), gen.randomLayout(8)]) {
    const snap = ref.load(gen.serialize(handGraph(), layout));
    const plain = ref.retained(snap, 'plain');
    assert.deepStrictEqual([...plain.idom], [0, 0, 0, 1, 0, 4, 0, 0, 0, 8, 0, 4]);
    assert.deepStrictEqual(plain.size, [365, 20, 10, 20, 75, 40, 50, 60, 150, 80, 0, 5]);
    // DevTools' page-owned rule: A (a global) and what it holds are page-owned;
    // B is not, so B's edge into C does not count and A dominates C.
    const devtools = ref.retained(snap, 'devtools');
    assert.deepStrictEqual([...devtools.idom], [0, 0, 0, 1, 2, 4, 0, 0, 0, 8, 0, 4]);
    assert.deepStrictEqual(devtools.size, [365, 20, 85, 20, 75, 40, 50, 60, 150, 80, 0, 5]);
  }
});

test('reference: class histogram skips size-0 nodes and counts nested members once', () => {
  const s = ref.summary(ref.load(gen.serialize(handGraph())));
  assert.strictEqual(s.nodeCount, 12);
  assert.strictEqual(s.edgeCount, 10);
  assert.strictEqual(s.totalSize, 365);
  assert.deepStrictEqual(s.classes, [
    { name: 'Baz', count: 3, selfSize: 210, retainedSize: 210 }, // H is under G
    { name: 'Foo', count: 4, selfSize: 65, retainedSize: 105 },
    { name: 'Bar', count: 2, selfSize: 90, retainedSize: 90 },
  ]);
});

test('reference: diff by id and leaks by three snapshots', () => {
  const g1 = handGraph();
  const g2 = handGraph();
  g2.nodes.splice(9, 2); // H and Z freed (nothing points at them after G's edge goes)
  g2.nodes[4].edges.pop(); // C's edge to K (now at index 9) goes too
  g2.nodes[8].edges = [];
  g2.nodes.push({ type: 'object', name: 'New', id: 101, self: 16, edges: [] });
  g2.nodes[4].edges.push({ type: 'property', name: 'n', to: 10 });
  const d = ref.diff(ref.load(gen.serialize(g1)), ref.load(gen.serialize(g2)));
  assert.strictEqual(d.change.allocated_nodes, 1);
  assert.strictEqual(d.change.freed_nodes, 1); // Z has size 0: outside the histogram
  assert.deepStrictEqual(d.change.details, [
    { what: 'Baz', size_bytes: -80, '+': 0, '-': 1 },
    { what: 'New', size_bytes: 16, '+': 1, '-': 0 },
  ]);
  assert.strictEqual(d.change.size_bytes, 16 - 80);
  const l = ref.leaks(ref.load(gen.serialize(g1)), ref.load(gen.serialize(g2)), ref.load(gen.serialize(g2)));
  assert.deepStrictEqual(l.groups.map((g) => [g.name, g.count, g.retainedSize]), [['New', 1, 16]]);
  assert.strictEqual(l.dist[10], 3); // root -> A -> C -> New
});

// Dominance by its definition: d dominates w when every path from the root to
// w passes through d, i.e. w is unreachable once d is removed.
function reachableWithout(succ, removed) {
  const seen = new Uint8Array(succ.length);
  if (removed === 0) return seen;
  const stack = [0];
  seen[0] = 1;
  while (stack.length) for (const t of succ[stack.pop()]) if (t !== removed && !seen[t]) { seen[t] = 1; stack.push(t); }
  return seen;
}

test('reference: idom chains equal dominance by definition on random graphs', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const snap = ref.load(gen.serialize(gen.randomGraph(seed, 10 + seed * 2)));
    for (const mode of ['plain', 'devtools']) {
      const succ = ref.successors(snap, mode);
      const { idom } = ref.retained(snap, mode);
      const reach = reachableWithout(succ, -1);
      const n = succ.length;
      const without = Array.from({ length: n }, (_, d) => reachableWithout(succ, d));
      for (let w = 1; w < n; w++) {
        const chain = new Set();
        for (let v = idom[w]; ; v = idom[v]) { chain.add(v); if (v === 0) break; }
        const expected = new Set([0]);
        if (reach[w]) for (let d = 1; d < n; d++) if (d !== w && !without[d][w]) expected.add(d);
        assert.deepStrictEqual([...chain].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), `seed ${seed} ${mode} node ${w}`);
      }
    }
  }
});
