'use strict';
/**
 * jest's globalSetup: the tests (and every process they start, which inherit this Node) run on the Node the
 * functions deploy on. `npm test` and `npx jest` put node_modules/.bin first on PATH, where the `node` dev dependency
 * provides it; a jest started another way on an older system Node stops here instead of testing the wrong runtime.
 */
const REQUIRED_MAJOR = 24;

module.exports = async function requireNode24() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < REQUIRED_MAJOR) {
    throw new Error(
      `The tests need Node ${REQUIRED_MAJOR} (Lambda runs nodejs${REQUIRED_MAJOR}.x); this is Node ${process.version}. ` +
        'Run them with `npm test` or `npx jest`, which use the Node of the `node` dev dependency (see README, Node 24).',
    );
  }
};
