/**
 * Module-initialisation time of each bundle: fresh `node` processes load the bundle the way the Lambda Node.js
 * runtime does (require for CommonJS, import() for .mjs), and report performance.now() once it is loaded, which
 * Node measures from the process's time origin (process start). Runs are interleaved across bundles in a seeded
 * random order so that drift in machine load spreads evenly; the first run of each bundle warms the disk cache and
 * is discarded.
 */
import { spawnSync } from 'node:child_process';
import { seededShuffle } from '../fleet/random';
import { median, ratio } from '../stats';
import type { BuiltBundle } from './build';

export interface InitTiming {
  readonly name: string;
  /** Median ms from process start to the module loaded. */
  readonly startToLoadedMs: number;
  /** Median ms spent inside require/import of the bundle alone. */
  readonly loadMs: number;
  /** Median resident set size right after the module loaded. */
  readonly rssBytes: number;
  readonly runs: number;
}

export interface InitTimingResult {
  readonly baseline: InitTiming;
  readonly byFunction: ReadonlyMap<string, InitTiming & { readonly ratioToBaseline: number }>;
}

const PROBE = `
const file = process.env.BENCH_BUNDLE;
const exportName = process.env.BENCH_EXPORT;
const before = performance.now();
const done = (mod) => {
  const loaded = performance.now();
  const handler = mod && (mod[exportName] ?? (mod.default && mod.default[exportName]));
  if (typeof handler !== 'function') { process.stderr.write('no exported function ' + exportName); process.exit(3); }
  process.stdout.write(JSON.stringify({ startToLoaded: loaded, load: loaded - before, rss: process.memoryUsage().rss }));
};
if (file.endsWith('.mjs')) import(require('node:url').pathToFileURL(file).href).then(done, (e) => { console.error(e); process.exit(2); });
else done(require(file));
`;

/**
 * Environment a deployed function would have: the stack's own (resolved) environment, e.g. NODE_OPTIONS, with
 * stand-ins for what only CloudFormation can resolve (table name, target and filter ids) so that configuration
 * loads; AWS endpoints point at a closed loopback port, since initialisation must not call anything.
 */
export function lambdaLikeEnvironment(functionName: string, stackEnvironment: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const closed = 'http://127.0.0.1:9';
  const standIns: Record<string, string> = {
    MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0,tmt-0123456789abcdef1',
    MIRROR_FILTER_ID: 'tmf-0123456789abcdef0',
    LEDGER_TABLE_NAME: 'vpc-mirror-orchestrator-bench-ledger',
  };
  const environment: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_LAMBDA_FUNCTION_NAME: `vpc-mirror-orchestrator-bench-${functionName}`,
    AWS_ENDPOINT_URL_EC2: closed,
    AWS_ENDPOINT_URL_DYNAMODB: closed,
    AWS_ENDPOINT_URL_EVENTBRIDGE: closed,
    ...stackEnvironment,
  };
  for (const [name, value] of Object.entries(standIns)) {
    if (!environment[name]) environment[name] = value;
  }
  return environment;
}

interface ProbeSample {
  readonly startToLoaded: number;
  readonly load: number;
  readonly rss: number;
}

function runOnce(bundle: BuiltBundle, environment: NodeJS.ProcessEnv): ProbeSample {
  const child = spawnSync(process.execPath, ['-e', PROBE], {
    env: { ...environment, BENCH_BUNDLE: bundle.file, BENCH_EXPORT: bundle.exportName },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) {
    throw new Error(`loading ${bundle.name} (${bundle.file}) failed with status ${child.status}: ${child.stderr.trim().slice(0, 800)}`);
  }
  return JSON.parse(child.stdout) as ProbeSample;
}

/** One way of starting the processes, e.g. the stack's environment, or the same without a NODE_OPTIONS flag. */
export interface InitCondition {
  readonly label: string;
  readonly environmentOf: (bundle: BuiltBundle) => NodeJS.ProcessEnv;
}

/**
 * Every (condition, bundle) pair is run `runs` times, all pairs interleaved in each round, so that two conditions
 * are compared under the same machine load; each condition's ratios use its own empty-handler baseline.
 */
export function measureInitTimes(
  bundles: readonly BuiltBundle[],
  conditions: readonly InitCondition[],
  runs: number,
  seed: number,
  baselineName: string,
): Map<string, InitTimingResult> {
  const subjects = conditions.flatMap((condition) =>
    bundles.map((bundle) => ({ condition, bundle, key: `${condition.label}\u0000${bundle.name}` })),
  );
  const samples = new Map<string, { startToLoaded: number[]; load: number[]; rss: number[] }>();
  for (const subject of subjects) {
    runOnce(subject.bundle, subject.condition.environmentOf(subject.bundle));
    samples.set(subject.key, { startToLoaded: [], load: [], rss: [] });
  }
  for (let round = 0; round < runs; round++) {
    for (const subject of seededShuffle(subjects, seed + round)) {
      const sample = runOnce(subject.bundle, subject.condition.environmentOf(subject.bundle));
      const series = samples.get(subject.key);
      series?.startToLoaded.push(sample.startToLoaded);
      series?.load.push(sample.load);
      series?.rss.push(sample.rss);
    }
  }
  const results = new Map<string, InitTimingResult>();
  for (const condition of conditions) {
    const summarise = (name: string): InitTiming => {
      const series = samples.get(`${condition.label}\u0000${name}`);
      if (!series) throw new Error(`no init samples for ${name} (${condition.label})`);
      return {
        name,
        startToLoadedMs: median(series.startToLoaded),
        loadMs: median(series.load),
        rssBytes: median(series.rss),
        runs: series.load.length,
      };
    };
    const baseline = summarise(baselineName);
    const byFunction = new Map<string, InitTiming & { ratioToBaseline: number }>();
    for (const bundle of bundles) {
      if (bundle.name === baselineName) continue;
      const timing = summarise(bundle.name);
      byFunction.set(bundle.name, { ...timing, ratioToBaseline: ratio(timing.startToLoadedMs, baseline.startToLoadedMs) });
    }
    results.set(condition.label, { baseline, byFunction });
  }
  return results;
}
