'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Worker } = require('node:worker_threads');
const path = require('node:path');

test('the addon and the package load', () => {
  const memctl = require('../..');
  assert.strictEqual(typeof memctl, 'object');
  assert.strictEqual(typeof require('../../lib/native'), 'object');
});

test('the addon loads in several worker_threads at once', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    const memctl = require(${JSON.stringify(path.join(__dirname, '..', '..'))});
    parentPort.postMessage(typeof memctl);
  `;
  const results = await Promise.all([1, 2, 3].map(() => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  assert.deepStrictEqual(results, ['object', 'object', 'object']);
});
