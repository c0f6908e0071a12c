#!/usr/bin/env node
// The `byodkim` command: runs the compiled CLI (npm ci builds it through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'dist', 'functions', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('byodkim: the command line is not built yet; run `npm run build` in the project first\n');
  process.exit(2);
}
require(compiled).main(path.join(__dirname, 'byodkim.js'));
