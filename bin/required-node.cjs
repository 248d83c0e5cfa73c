'use strict';
/**
 * The Node a command must run on: the major the functions deploy on (nodejs24.x). npm scripts and npx put
 * node_modules/.bin first on PATH, where the `node` dev dependency (Node 24, a per-platform binary fetched by its
 * preinstall) lives; a bin started any other way gets whatever `node` the shell finds, and comes here.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const REQUIRED_MAJOR = 24;

/** The Node binary of the `node` dev dependency, when installed (its package.json names it: bin/node, bin/node.exe). */
function packagedNode() {
  try {
    const manifest = require.resolve('node/package.json', { paths: [path.join(__dirname, '..')] });
    const binary = path.join(path.dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin.node);
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/**
 * undefined when this process already runs on Node >= 24 (go on); otherwise the exit code of the same script re-run
 * on the packaged Node 24, or 2 with a message when there is none.
 */
function runOnRequiredNode(script, args) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR) return undefined;
  const node = packagedNode();
  if (node === undefined) {
    process.stderr.write(
      `${path.basename(script)}: needs Node ${REQUIRED_MAJOR} or later, found ${process.version}. ` +
        'Run `npm ci` (it installs Node 24 as a dev dependency) and use `npx mirrorctl`, or switch with `nvm use` (.nvmrc).\n',
    );
    return 2;
  }
  const child = spawnSync(node, [script, ...args], { stdio: 'inherit' });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  return child.status ?? 1;
}

module.exports = { REQUIRED_MAJOR, runOnRequiredNode };
