'use strict';
// Human-readable byte counts, shared by the analyzer (memwatch's size strings)
// and the command line (binary units).

const IEC = { small: 'B', units: ['KiB', 'MiB', 'GiB', 'TiB'], digits: 1 };
// memwatch prints "123 bytes", "1.21 kb", "3.50 mb": two decimals, zeros kept.
const MEMWATCH = { small: 'bytes', units: ['kb', 'mb', 'gb', 'tb'], digits: 2 };

function formatBytes(n, style = IEC) {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${v} ${style.small}`;
  let u = -1;
  while (v >= 1024 && u < style.units.length - 1) { v /= 1024; u++; }
  return `${sign}${v.toFixed(style.digits)} ${style.units[u]}`;
}

module.exports = { formatBytes, IEC, MEMWATCH };
