'use strict';
// Real redis-server processes for the TieredCache tests: 127.0.0.1, free
// ports, persistence off, each in its own temp dir; stopped by stop().
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function have(cmd) {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Why Redis tests cannot run here, or undefined when they can. */
function redisMissing() {
  if (!have('redis-server') || !have('redis-cli')) {
    return 'redis-server/redis-cli not installed (Debian packages redis-server and redis-tools)';
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args],
    { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

async function waitPing(port, deadlineMs = 15_000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try { if (cli(port, 'PING') === 'PONG') return; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One redis-server; `extra` are more command-line options. */
async function startServer({ port, dir, extra = [] } = {}) {
  port = port ?? await freePort();
  dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `memctl-redis-${process.pid}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...extra];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const server = {
    port, dir, proc, url: `redis://127.0.0.1:${port}`,
    cli: (...a) => cli(port, ...a),
    /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. */
    async kill() {
      const { proc } = server;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
    /** Same port, same dir, fresh process (an empty dataset: no persistence). */
    async restart() {
      await server.kill();
      const again = await startServer({ port, dir, extra });
      server.proc = again.proc;
      return server;
    },
    async stop() { await server.kill(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
  await waitPing(port);
  return server;
}

/** A 3-master Redis Cluster (no replicas) on loopback. */
async function startCluster() {
  const nodes = [];
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(await startServer({
        extra: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
      }));
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 60_000 });
    const end = Date.now() + 30_000;
    for (;;) {
      const ok = nodes.every((n) => /cluster_state:ok/.test(n.cli('CLUSTER', 'INFO')));
      if (ok) break;
      if (Date.now() > end) throw new Error('the test cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return {
    nodes,
    rootNodes: nodes.map((n) => ({ url: n.url })),
    /** redis-cli in cluster mode (-c follows MOVED). */
    cli: (...a) => execFileSync('redis-cli', ['-c', '-h', '127.0.0.1', '-p', String(nodes[0].port), ...a],
      { encoding: 'utf8', timeout: 20_000 }).trim(),
    async stop() { await Promise.all(nodes.map((n) => n.stop())); },
  };
}

module.exports = { redisMissing, startServer, startCluster, freePort };

/** Starts test/js/helpers/tiered-worker.js; returns { call(op, args), close() }. */
function startWorker(cfg) {
  const { fork } = require('node:child_process');
  const child = fork(path.join(__dirname, 'tiered-worker.js'), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const pending = new Map();
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if ('ready' in m) { if (m.ready) resolve(); else reject(new Error(m.error)); return; }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m); else p.reject(new Error(m.error));
    });
    child.on('exit', (code) => {
      reject(new Error(`worker exited with ${code}`));
      for (const p of pending.values()) p.reject(new Error(`worker exited with ${code}`));
      pending.clear();
    });
  });
  const call = (op, args = {}) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    child.send({ id, op, ...args });
  });
  return {
    ready, child, call,
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      call('close').catch(() => {});
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

module.exports.startWorker = startWorker;
