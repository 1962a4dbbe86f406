#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript and compiled to dist/ by `npm run build` (run by `npm install`).
let main;
try {
  main = require('../dist/lib/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/lib/cli/main.js')) {
    console.error('whiskflow: not built yet; run `npm run build` in the whiskflow directory first.');
    process.exit(1);
  }
  throw error;
}
main.run(process.argv).catch((error) => {
  console.error(`whiskflow: ${error && error.message ? error.message : error}`);
  process.exit(1);
});
