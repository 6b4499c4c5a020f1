'use strict';
// `memctl bench`: the cache comparison by default; --pool, --leak, --snapshot,
// --heapdiff and --tiered run the other benchmarks. Each benchmark module exports
// main(args) -> Promise<number|void>.
const path = require('path');

const suites = {
  '--pool': './pool.js',
  '--leak': './leak.js',
  '--snapshot': './snapshot.js',
  '--heapdiff': './heapdiff.js',
  '--tiered': './tiered.js',
  '--shared': './shared.js',
};

async function main(args) {
  const flag = args.find((a) => a in suites);
  const rest = args.filter((a) => a !== flag);
  const file = flag ? suites[flag] : './cache.js';
  return require(path.join(__dirname, file)).main(rest);
}

module.exports = { main };
