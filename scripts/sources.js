'use strict';
// Lists the addon's sources for binding.gyp: every C core in src/core and every
// binding file in src/binding, so adding a module never means editing the gyp file.
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const pick = (dir, exts) => fs.readdirSync(path.join(root, dir))
  .filter((f) => exts.some((e) => f.endsWith(e)))
  .sort()
  .map((f) => `${dir}/${f}`);
console.log([...pick('src/core', ['.c']), ...pick('src/binding', ['.cc', '.c'])].join(' '));
