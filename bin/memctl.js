#!/usr/bin/env node
'use strict';
// memctl command line: each command lives in its own module exporting
// main(args) -> Promise<number|void> (the exit code).
const fs = require('fs');
const path = require('path');

const commands = {
  bench: { file: '../bench/cli.js', help: 'bench [--full] [--json] [--pool] [--leak] [--snapshot] [--shared] [--tiered] [--heapdiff]  compare memctl with its peers' },
  snapshot: { file: '../lib/cli/snapshot.js', help: 'snapshot <file> | diff <a> <b> | leaks <base> <target> <final> [--json]' },
};

function usage(out) {
  out.write('usage: memctl <command> [options]\n\ncommands:\n');
  for (const c of Object.values(commands)) out.write(`  ${c.help}\n`);
}

async function main(argv) {
  const [name, ...args] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    usage(process.stdout);
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`memctl: unknown command ${JSON.stringify(name)}\n`);
    usage(process.stderr);
    return 2;
  }
  const file = path.join(__dirname, cmd.file);
  // The package ships lib/ only; the benchmarks live in a checkout of the repository.
  if (!fs.existsSync(file)) {
    process.stderr.write(`memctl: "${name}" runs from a checkout of the memctl repository (the npm package does not include ${path.relative(path.join(__dirname, '..'), file)})\n`);
    return 2;
  }
  const mod = require(file);
  return mod.main(args);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = typeof code === 'number' ? code : 0; },
  (err) => {
    process.stderr.write(`memctl: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
