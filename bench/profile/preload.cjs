// Preloaded into each handler container (`--handler-node-options "--require <this file>"`): samples the CPU with
// node:inspector's Profiler (1 ms) and writes <BENCH_PROFILE_DIR>/<pid>.cpuprofile when the container exits.
// `--cpu-prof` itself is not allowed in NODE_OPTIONS; this is the allowed equivalent.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR || path.join(require('node:os').tmpdir(), 'vpc-mirror-bench-profiles');
fs.mkdirSync(dir, { recursive: true });
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');

let written = false;
function write() {
  if (written) return;
  written = true;
  // In-process sessions answer synchronously, so this completes before the process goes.
  session.post('Profiler.stop', (error, result) => {
    if (!error) fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
}
process.on('exit', write);
process.on('disconnect', write);
process.on('SIGTERM', () => {
  write();
  process.exit(0);
});
