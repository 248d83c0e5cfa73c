#!/usr/bin/env node
'use strict';
/*
 * mirrorctl runs the TypeScript sources directly through tsx's require hook (tsx is a runtime dependency): no build
 * step to forget or go stale, and the CLI executes exactly the shared/ code the Lambdas are bundled from.
 */
const path = require('node:path');

// Run outside npm scripts (a shell, a linked bin), `#!/usr/bin/env node` finds the system Node, which may be older
// than the Node 24 we deploy on: then re-run on the repository's own Node 24 (the `node` dev dependency), or refuse.
const { runOnRequiredNode } = require('./required-node.cjs');
const exitCode = runOnRequiredNode(__filename, process.argv.slice(2));
if (exitCode !== undefined) process.exit(exitCode);

require('tsx/cjs/api').register();

const { run, processIo } = require(path.join(__dirname, '..', 'cli', 'main.ts'));

// `mirrorctl status | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

run(process.argv.slice(2), processIo()).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error) => {
    process.stderr.write(`mirrorctl: ${error?.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
