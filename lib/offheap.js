'use strict';
// Registry of live off-heap owners (caches, pools) so memctl.usage() can say
// how many bytes memctl holds outside the V8 heap. Owners are held weakly:
// tracking never keeps an object alive.

const owners = new Map(); // kind -> Set<WeakRef>
const registry = new FinalizationRegistry(({ kind, ref }) => {
  const set = owners.get(kind);
  if (set) set.delete(ref);
});

// obj must have an offHeapBytes() method returning a number (0 once closed).
function track(kind, obj) {
  let set = owners.get(kind);
  if (!set) owners.set(kind, (set = new Set()));
  const ref = new WeakRef(obj);
  set.add(ref);
  registry.register(obj, { kind, ref });
}

// Returns { caches, pools, total } in bytes over the live owners (kinds that
// have no live owner read 0, so the shape is always the same).
function offHeapBytes() {
  const out = { caches: 0, pools: 0, total: 0 };
  for (const [kind, set] of owners) {
    let sum = 0;
    for (const ref of set) {
      const obj = ref.deref();
      if (obj) sum += obj.offHeapBytes();
    }
    out[kind] = sum;
    out.total += sum;
  }
  return out;
}

module.exports = { track, offHeapBytes };
