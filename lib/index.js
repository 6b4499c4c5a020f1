'use strict';
// memctl: every public export, gathered from the module files. This literal
// `{ ...require() }` form is the one Node's CommonJS export detection
// (cjs-module-lexer) follows, so `import { LRUCache } from 'memctl'` works in
// ES modules; each module file ends in a `module.exports = { A, B }` literal.
// TieredCache's module also exports its value codec for tests: only the class is public.
const { TieredCache } = require('./tiered-cache');

module.exports = {
  ...require('./cache'),
  ...require('./pool'),
  ...require('./leak-watcher'),
  ...require('./snapshot'),
  ...require('./shared-cache'),
  TieredCache,
};
