'use strict';
// Runs one snapshot analysis for a thread that blocks on Atomics.wait (see
// runInWorkerSync in snapshot.js): posts { result } or { error } on the
// port, then wakes the waiting thread. Plain data only crosses threads.
// Invariant: the waiting thread is woken exactly once, whatever happens here
// (even a failure to load the addon), or it would wait forever.
const { workerData } = require('worker_threads');

let replied = false;
function reply(message) {
  if (replied) return;
  replied = true;
  workerData.port.postMessage(message);
  Atomics.store(workerData.signal, 0, 1);
  Atomics.notify(workerData.signal, 0);
}

function errorMessage(err) {
  return { error: { name: err && err.name, message: String(err && err.message), code: err && err.code } };
}

process.on('exit', () => reply(errorMessage(new Error('the snapshot worker exited before answering'))));

const ops = {
  diff: ([before, after]) => require('./snapshot').diffSnapshots(before, after),
};

Promise.resolve()
  .then(() => ops[workerData.op](workerData.files))
  .then((result) => reply({ result }), (err) => reply(errorMessage(err)));
