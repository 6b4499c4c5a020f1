'use strict';
// Writes the benchmark's large real heap snapshot: a Node process that holds
// about `count` small objects (a mix of classes, arrays, strings and closures,
// arranged as a tree so that retained sizes are non-trivial), then writes a
// snapshot of itself with v8.writeHeapSnapshot. Run as a child process by
// bench/snapshot.js: `node snapshot-fixture.js <out> <count>`. The file is
// written under a temporary name and renamed, so a cached file is complete.
const fs = require('fs');
const v8 = require('v8');

class Order { constructor(id, customer) { this.id = id; this.customer = customer; this.lines = []; } }
class OrderLine { constructor(sku, qty) { this.sku = sku; this.qty = qty; } }
class Customer { constructor(name) { this.name = name; this.tags = null; } }

// Builds roughly `count` heap objects: per order 1 Order + 1 lines array + 3
// OrderLines, one Customer + name string per 8 orders, one closure per 64.
function build(count) {
  const orders = [];
  const customers = [];
  const handlers = [];
  const perOrder = 5 + 2 / 8 + 1 / 64;
  const n = Math.ceil(count / perOrder);
  for (let i = 0; i < n; i++) {
    if (i % 8 === 0) customers.push(new Customer(`customer-${i}`));
    const order = new Order(i, customers[customers.length - 1]);
    for (let j = 0; j < 3; j++) order.lines.push(new OrderLine(i * 3 + j, j + 1));
    orders.push(order);
    if (i % 64 === 0) handlers.push(() => order.id);
  }
  return { orders, customers, handlers };
}

function main() {
  const [out, countArg] = process.argv.slice(2);
  const count = Number(countArg || 5e6);
  globalThis.__memctlFixture = build(count);
  const tmp = `${out}.${process.pid}.tmp`;
  v8.writeHeapSnapshot(tmp);
  fs.renameSync(tmp, out);
}

main();
