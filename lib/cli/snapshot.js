'use strict';
// `memctl snapshot`: summary, diff and leak candidates of .heapsnapshot files
// with the native analyzer. Exit codes: 0 done, 1 a file could not be read or
// analyzed (the message names the file and the error code), 2 bad usage.
const path = require('path');
const { formatBytes } = require('../format');
const { parseSnapshot, diffSnapshots, findLeaks } = require('../snapshot');

const USAGE = `usage:
  memctl snapshot <file>                              summary: counts, top classes by retained size
  memctl snapshot diff <before> <after>               objects allocated and freed per class (by node id)
  memctl snapshot leaks <baseline> <target> <final>   objects allocated after baseline, still alive at final
options:
  --top N        show the first N classes (default 20); --all shows every class
  --json         print JSON instead of a table
  --self         summary without retained sizes (faster; sorted by self size)
  --dominators devtools|plain
                 retained sizes with DevTools' page-owned rule (default) or
                 without it (plain: what memlab computes)
  --progress     progress on stderr (default: only when stderr is a terminal)
  --no-progress  never show progress
a file named "-" is standard input (memctl snapshot - < app.heapsnapshot);
a file named "diff" or "leaks": write it as ./diff
`;

class UsageError extends Error {}

function parseArgs(args) {
  const opts = { json: false, top: 20, progress: undefined, retained: true, dominators: 'devtools', files: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') opts.json = true;
    else if (a === '--all') opts.top = Infinity;
    else if (a === '--self') opts.retained = false;
    else if (a === '--progress') opts.progress = true;
    else if (a === '--no-progress') opts.progress = false;
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (a === '--top' || a.startsWith('--top=')) {
      const v = a === '--top' ? args[++i] : a.slice(6);
      if (!/^[1-9]\d*$/.test(v || '')) throw new UsageError(`--top needs a positive integer, got ${JSON.stringify(v)}`);
      opts.top = Number(v);
    } else if (a === '--dominators' || a.startsWith('--dominators=')) {
      const v = a === '--dominators' ? args[++i] : a.slice(13);
      if (v !== 'devtools' && v !== 'plain') throw new UsageError(`--dominators is devtools or plain, got ${JSON.stringify(v)}`);
      opts.dominators = v;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else opts.files.push(a);
  }
  return opts;
}

// ---- formatting

const bytes = (n) => formatBytes(n);

const int = (n) => n.toLocaleString('en-US');
const signed = (n, f) => (n > 0 ? `+${f(n)}` : f(n));

function table(headers, rows, align) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r) => r.map((s, c) => (align[c] === 'r' ? s.padStart(widths[c]) : s.padEnd(widths[c]))).join('  ').trimEnd();
  return cells.map(line).join('\n') + '\n';
}

function shortName(name, max = 60) {
  const flat = name.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// ---- progress

function progressFor(opts, file, retained) {
  const enabled = opts.progress === undefined ? Boolean(process.stderr.isTTY) : opts.progress;
  if (!enabled) return { onProgress: undefined, done() {} };
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  const onProgress = ({ bytesRead, totalBytes }) => {
    // Small files parse in well under a second: no progress line for them
    // unless asked for with --progress.
    if (opts.progress !== true && totalBytes !== undefined && totalBytes < (32 << 20)) return;
    const pct = totalBytes ? ` ${Math.floor((100 * bytesRead) / totalBytes)}%` : '';
    const of = totalBytes ? ` of ${bytes(totalBytes)}` : '';
    const next = retained && bytesRead === totalBytes ? '; computing retained sizes' : '';
    process.stderr.write(`${tty ? '\r\x1b[K' : ''}parsing ${path.basename(file)}:${pct} (${bytes(bytesRead)}${of})${next}${tty ? '' : '\n'}`);
    shown = true;
  };
  return { onProgress, done() { if (shown && tty) process.stderr.write('\r\x1b[K'); } };
}

async function parse(file, opts, retained) {
  const progress = progressFor(opts, file, retained);
  try {
    const source = file === '-' ? process.stdin : file;
    return await parseSnapshot(source, { retained, dominators: opts.dominators, onProgress: progress.onProgress });
  } catch (err) {
    err.file = err.file || file;
    throw err;
  } finally {
    progress.done();
  }
}

// ---- commands

async function summaryCommand(opts, out) {
  if (opts.files.length !== 1) throw new UsageError('memctl snapshot <file> takes one file');
  const [file] = opts.files;
  const t0 = process.hrtime.bigint();
  const snap = await parse(file, opts, opts.retained);
  let s;
  try {
    s = snap.summary({ retained: opts.retained, top: opts.top });
  } finally {
    snap.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (opts.json) {
    out.write(`${JSON.stringify({ file, seconds, ...s }, null, 2)}\n`);
    return 0;
  }
  out.write(`${file}: ${int(s.nodeCount)} nodes, ${int(s.edgeCount)} edges, ${bytes(s.totalSize)} in all (analyzed in ${seconds.toFixed(2)} s)\n\n`);
  const rows = s.classes.map((c, i) => [i + 1, shortName(c.name), int(c.count), bytes(c.selfSize),
    opts.retained ? bytes(c.retainedSize) : '-', opts.retained && s.totalSize ? `${((100 * c.retainedSize) / s.totalSize).toFixed(1)}%` : '-']);
  out.write(table(['#', 'Class', 'Count', 'Self size', 'Retained size', 'Retained %'], rows, ['r', 'l', 'r', 'r', 'r', 'r']));
  return 0;
}

async function diffCommand(opts, out) {
  if (opts.files.length !== 2) throw new UsageError('memctl snapshot diff takes two files: <before> <after>');
  const [a, b] = opts.files;
  const before = await parse(a, opts, false);
  let d;
  try {
    const after = await parse(b, opts, false);
    try { d = await diffSnapshots(before, after); } finally { after.close(); }
  } finally {
    before.close();
  }
  const details = d.change.details.slice(0, opts.top);
  if (opts.json) {
    out.write(`${JSON.stringify({ ...d, change: { ...d.change, details } }, null, 2)}\n`);
    return 0;
  }
  out.write(`before: ${int(d.before.nodes)} objects, ${bytes(d.before.size_bytes)}\n`);
  out.write(`after:  ${int(d.after.nodes)} objects, ${bytes(d.after.size_bytes)}\n`);
  out.write(`change: ${signed(d.change.size_bytes, bytes)}, ${int(d.change.allocated_nodes)} allocated, ${int(d.change.freed_nodes)} freed\n\n`);
  const rows = details.map((x) => [shortName(x.what), `+${int(x['+'])}`, `-${int(x['-'])}`, signed(x.size_bytes, bytes)]);
  out.write(table(['Class', 'Allocated', 'Freed', 'Size change'], rows, ['l', 'r', 'r', 'r']));
  if (d.change.details.length > details.length) out.write(`(${d.change.details.length - details.length} more classes: --all)\n`);
  return 0;
}

function formatPath(retainerPath) {
  return retainerPath.map((step, i) => {
    if (i === 0) return '(root)';
    const node = `${shortName(step.node.name || `(${step.node.type})`, 40)} @${step.node.id}`;
    if (!step.edge) return node;
    const edge = step.edge.type === 'element' || step.edge.type === 'hidden' ? `[${step.edge.name}]` : `.${step.edge.name}`;
    return `  --${edge} (${step.edge.type})--> ${node}`;
  }).join('\n      ');
}

async function leaksCommand(opts, out) {
  if (opts.files.length !== 3) throw new UsageError('memctl snapshot leaks takes three files: <baseline> <target> <final>');
  const [b, t, f] = opts.files;
  const snaps = [];
  let leaks;
  try {
    snaps.push(await parse(b, opts, false));
    snaps.push(await parse(t, opts, false));
    snaps.push(await parse(f, opts, true));
    leaks = await findLeaks(snaps[0], snaps[1], snaps[2], { top: opts.top });
  } finally {
    for (const s of snaps) s.close();
  }
  if (opts.json) {
    out.write(`${JSON.stringify(leaks, null, 2)}\n`);
    return 0;
  }
  if (leaks.length === 0) {
    out.write('no leak candidates: nothing allocated after the baseline is alive in the final snapshot\n');
    return 0;
  }
  out.write(table(['#', 'Class', 'Count', 'Self size', 'Retained size'],
    leaks.map((l, i) => [i + 1, shortName(l.name), int(l.count), bytes(l.selfSize), bytes(l.retainedSize)]),
    ['r', 'l', 'r', 'r', 'r']));
  out.write('\nretainer paths (from the root to the largest object of each class):\n');
  leaks.forEach((l, i) => out.write(`  ${i + 1}. ${shortName(l.name)}\n      ${formatPath(l.retainerPath)}\n`));
  return 0;
}

// Errors a user can act on (bad files): one line, exit 1. Anything else is a bug.
function isInputError(err) {
  return err && typeof err.code === 'string' && (err.code.startsWith('ERR_MEMCTL_SNAPSHOT') ||
    err.code === 'ERR_MEMCTL_NO_MEMORY' || /^E[A-Z]+$/.test(err.code));
}

async function main(args, io = { out: process.stdout, err: process.stderr }) {
  let opts;
  try {
    opts = parseArgs(args);
    if (opts.help) { io.out.write(USAGE); return 0; }
    const [cmd] = opts.files;
    if (cmd === 'diff') { opts.files.shift(); return await diffCommand(opts, io.out); }
    if (cmd === 'leaks') { opts.files.shift(); return await leaksCommand(opts, io.out); }
    if (opts.files.length === 0) throw new UsageError('no snapshot file given');
    return await summaryCommand(opts, io.out);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`memctl snapshot: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (isInputError(err)) {
      const where = err.file ? `${err.file}: ` : '';
      io.err.write(`memctl snapshot: ${where}${err.message} (${err.code})\n`);
      return 1;
    }
    throw err;
  }
}

module.exports = { main, parseArgs, formatBytes: bytes };
