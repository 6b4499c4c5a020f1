'use strict';
// The memory cgroup of this process (v1 or v2), for usage(): its path, the
// tightest limit of it and its ancestors, and its usage. Internal: not part of
// memctl's public exports.
const fs = require('fs');
const path = require('path');

const V1_UNLIMITED = 2 ** 62; // v1 reports "no limit" as a huge page-rounded number

function readNumber(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (text === 'max') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

// The memory cgroup of this process: { version, path, limit, usage }, where
// limit is the tightest limit of the cgroup and its ancestors (null: none).
// Returns null when there is no memory cgroup. root and procText are for tests.
function cgroupMemory(root = '/sys/fs/cgroup', procText) {
  let text = procText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/cgroup', 'utf8');
    } catch {
      return null;
    }
  }
  const lines = text.split('\n').map((l) => l.split(':')).filter((p) => p.length >= 3);
  const v1 = lines.find((p) => p[1].split(',').includes('memory'));
  const v2 = lines.find((p) => p[0] === '0' && p[1] === '');
  const tries = [];
  if (v1) tries.push({ version: 1, base: path.join(root, 'memory'), rel: p2s(v1), limitFile: 'memory.limit_in_bytes', usageFile: 'memory.usage_in_bytes' });
  if (v2) tries.push({ version: 2, base: root, rel: p2s(v2), limitFile: 'memory.max', usageFile: 'memory.current' });
  for (const c of tries) {
    const found = readCgroup(c);
    if (found) return found;
  }
  return null;
}

const p2s = (parts) => parts.slice(2).join(':');

function readCgroup({ version, base, rel, limitFile, usageFile }) {
  // Inside a cgroup namespace the listed path may not exist under the
  // mount: then the mount's root is this process's cgroup.
  let dir = path.join(base, rel);
  if (readNumber(path.join(dir, limitFile)) === undefined) dir = base;
  if (readNumber(path.join(dir, limitFile)) === undefined) return null;
  const usage = readNumber(path.join(dir, usageFile));
  let limit = null;
  for (let d = dir; ; d = path.dirname(d)) {
    const l = readNumber(path.join(d, limitFile));
    if (typeof l === 'number' && !(version === 1 && l >= V1_UNLIMITED)) {
      limit = limit === null ? l : Math.min(limit, l);
    }
    if (d === base || d.length <= base.length) break;
  }
  return { version, path: path.relative(base, dir) ? '/' + path.relative(base, dir) : '/', limit, usage: usage === undefined ? null : usage };
}

module.exports = { cgroupMemory };
