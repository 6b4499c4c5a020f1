'use strict';
// Summary statistics shared by the benchmarks.

// The median of the finite numbers in xs (the mean of the middle two for an
// even count), or null when there are none.
function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

module.exports = { median };
