#!/usr/bin/env node
// The `byodkim` command: runs the compiled CLI (npm ci builds it through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'dist', 'functions', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('byodkim: the command line is not built yet; run `npm run build` in the project first\n');
  process.exit(2);
}
const { run, processIo } = require(compiled);
const io = processIo();
run(process.argv.slice(2), io).then(
  (code) => {
    io.close();
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`byodkim: internal error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
