/** Command-line options of `npm run bench`, parsed by commander and validated by zod. */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';

const BenchOptionsSchema = z.object({
  instances: z.number().int().min(1).max(5000),
  /** Simulator time scales of the burst, headline first: 1 is EC2's real rates. */
  timeScales: z.array(z.number().positive().max(1000)).min(1),
  concurrency: z.number().int().min(1).max(200),
  seed: z.number().int().min(0),
  /** Share of instances launched with a second (secondary) ENI. */
  twoEniShare: z.number().min(0).max(1),
  /** Share of instances of a type AWS refuses as a mirror source: adds refusals to the mix (0 by default). */
  unsupportedShare: z.number().min(0).max(1),
  /** How long to wait for convergence, as a multiple of the physical limit (plus a fixed floor). */
  convergeTimeoutSeconds: z.number().positive(),
  initRuns: z.number().int().min(10).max(200),
  /** Bursts run one after the other (each on a fresh local cloud); the report shows the median one. */
  repeats: z.number().int().min(1).max(20),
  /** Sweep passes per fleet size; default --repeats. A 50,000-instance pass alone takes about half an hour. */
  sweepRepeats: z.number().int().min(1).max(20),
  skipBundles: z.boolean(),
  skipBurst: z.boolean(),
  skipLatency: z.boolean(),
  skipSweep: z.boolean(),
  /** The organization burst: --org-instances spread over --org-accounts, the hub at --org-share of each budget. */
  org: z.boolean(),
  orgAccounts: z.number().int().min(2).max(50),
  orgInstances: z.number().int().min(2).max(5000),
  orgShare: z.number().positive().max(1),
  /** Launches and tag changes measured one at a time on an idle system (each kind). */
  latencySamples: z.number().int().min(5).max(1000),
  /** Fleet sizes of the steady-state sweep. */
  sweepFleets: z.array(z.number().int().min(100).max(60_000)).min(1),
  out: z.string().min(1),
  /** Every handler log line (JSONL with function, container, request and time) goes here, for diagnosis. */
  handlerLog: z.string().min(1).optional(),
  /** Deploy only these functions (serverless.yml keys); default all. A what-if: events of the others go nowhere. */
  functions: z.array(z.string().min(1)).min(1).optional(),
  /** Replaces the functions' NODE_OPTIONS for the burst (what-ifs such as dropping --enable-source-maps, or --cpu-prof). */
  handlerNodeOptions: z.string().optional(),
});

export type BenchOptions = z.infer<typeof BenchOptionsSchema>;

function numberListArg(name: string): (value: string) => number[] {
  return (value) =>
    value.split(',').map((item) => {
      const parsed = Number(item.trim());
      if (item.trim() === '' || !Number.isFinite(parsed))
        throw new InvalidArgumentError(`${name} must be comma-separated numbers, got "${value}"`);
      return parsed;
    });
}

function numberArg(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
    return parsed;
  };
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const program = new Command('bench')
    .description('Burst benchmark of the orchestrator on the local cloud (simulator + dynalite + local Lambda)')
    // 300 instances: at EC2's real rates (x1) the physical limit alone is ~67 s a burst, so three repeats at three
    // scales stay within ~10 minutes.
    .option('--instances <n>', 'tagged instances launched in the burst', numberArg('--instances'), 300)
    .option(
      '--time-scales <list>',
      'burst time scales, headline first (throttling buckets refill this many times faster)',
      numberListArg('--time-scales'),
      [1, 3, 10],
    )
    .option('--time-scale <x>', 'one burst time scale instead of --time-scales', numberArg('--time-scale'))
    .option('--concurrency <n>', 'Lambda containers per function (reserved concurrency)', numberArg('--concurrency'), 10)
    .option('--seed <n>', 'seed of the fleet generator and the simulator', numberArg('--seed'), 1)
    .option('--two-eni-share <f>', 'share of instances with a second ENI (0..1)', numberArg('--two-eni-share'), 0.3)
    .option('--unsupported-share <f>', 'share of instances of an unsupported type (0..1)', numberArg('--unsupported-share'), 0)
    .option('--converge-timeout <s>', 'give up waiting for convergence after this many seconds', numberArg('--converge-timeout'), 150)
    .option('--init-runs <n>', 'fresh node processes per bundle for the init-time median (>= 10)', numberArg('--init-runs'), 15)
    .option('--repeats <n>', 'runs of each burst, latency and sweep measurement; the report shows medians', numberArg('--repeats'), 3)
    .option('--sweep-repeats <n>', 'full sweep passes per fleet size (default: --repeats)', numberArg('--sweep-repeats'))
    .option('--skip-bundles', 'skip bundle size and init-time measurement', false)
    .option('--skip-burst', 'skip the burst', false)
    .option('--skip-latency', 'skip the single-event latency measurement', false)
    .option('--skip-sweep', 'skip the steady-state sweep measurement', false)
    .option('--org', 'also run the organization burst (--org-instances over --org-accounts, at time scale 1)', false)
    .option(
      '--org-accounts <n>',
      'accounts of the organization burst, the security account (the hub) included',
      numberArg('--org-accounts'),
      10,
    )
    .option(
      '--org-instances <n>',
      'tagged instances of the organization burst, spread evenly over the accounts',
      numberArg('--org-instances'),
      1000,
    )
    .option(
      '--org-share <f>',
      "the hub's share of each account's EC2 mutating budget (the document's mutatingShare)",
      numberArg('--org-share'),
      0.5,
    )
    .option('--latency-samples <n>', 'launches and tag changes measured one at a time (each)', numberArg('--latency-samples'), 100)
    // Issue 12's sizes. Past the default VPC's ~12,270 addresses the bench adds subnets to it (bench/fleet/subnets.ts);
    // 60,000 is about what the whole 172.31.0.0/16 holds.
    .option(
      '--sweep-fleets <list>',
      'fleet sizes of the steady-state sweep (at most 60,000: the default VPC /16)',
      numberListArg('--sweep-fleets'),
      [10_000, 50_000],
    )
    .option('--out <file>', 'markdown report to write (relative to the repository root)', 'BENCHMARKS.md')
    .option('--functions <keys>', 'deploy only these functions, comma-separated (what-if; default all)', (value: string) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .option('--handler-log <file>', 'write every handler log line to this JSONL file (diagnosis)')
    .option('--handler-node-options <flags>', "replace the functions' NODE_OPTIONS during the burst (what-if, profiling)")
    .addHelpText('after', '\nMethod and how to read the report: docs/PERFORMANCE.md');
  // commander prints usage errors and --help itself and exits (1 and 0).
  program.parse([...argv], { from: 'user' });
  const raw = program.opts<Record<string, unknown>>();
  const parsed = BenchOptionsSchema.safeParse({
    instances: raw['instances'],
    timeScales: raw['timeScale'] !== undefined ? [raw['timeScale']] : raw['timeScales'],
    concurrency: raw['concurrency'],
    seed: raw['seed'],
    twoEniShare: raw['twoEniShare'],
    unsupportedShare: raw['unsupportedShare'],
    convergeTimeoutSeconds: raw['convergeTimeout'],
    initRuns: raw['initRuns'],
    repeats: raw['repeats'],
    sweepRepeats: raw['sweepRepeats'] ?? raw['repeats'],
    skipBundles: raw['skipBundles'],
    skipBurst: raw['skipBurst'],
    skipLatency: raw['skipLatency'],
    skipSweep: raw['skipSweep'],
    org: raw['org'],
    orgAccounts: raw['orgAccounts'],
    orgInstances: raw['orgInstances'],
    orgShare: raw['orgShare'],
    latencySamples: raw['latencySamples'],
    sweepFleets: raw['sweepFleets'],
    out: raw['out'],
    handlerLog: raw['handlerLog'],
    handlerNodeOptions: raw['handlerNodeOptions'],
    functions: raw['functions'],
  });
  if (!parsed.success) {
    const flag = (key: string): string =>
      `--${key === 'convergeTimeoutSeconds' ? 'converge-timeout' : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const issues = parsed.error.issues.map((issue) => `${flag(issue.path.join('.'))}: ${issue.message}`).join('; ');
    return program.error(`invalid bench options: ${issues}`);
  }
  return parsed.data;
}

/** The options as they appear in the report: the command line that reproduces the run. */
export function describeOptions(options: BenchOptions): string {
  const parts = [
    `--instances ${options.instances}`,
    `--time-scales ${options.timeScales.join(',')}`,
    `--concurrency ${options.concurrency}`,
    `--seed ${options.seed}`,
    `--two-eni-share ${options.twoEniShare}`,
    `--unsupported-share ${options.unsupportedShare}`,
    `--converge-timeout ${options.convergeTimeoutSeconds}`,
    `--init-runs ${options.initRuns}`,
    `--repeats ${options.repeats}`,
  ];
  if (options.skipBundles) parts.push('--skip-bundles');
  if (options.skipBurst) parts.push('--skip-burst');
  if (options.skipLatency) parts.push('--skip-latency');
  else parts.push(`--latency-samples ${options.latencySamples}`);
  if (options.skipSweep) parts.push('--skip-sweep');
  else parts.push(`--sweep-fleets ${options.sweepFleets.join(',')} --sweep-repeats ${options.sweepRepeats}`);
  if (options.org)
    parts.push(`--org --org-accounts ${options.orgAccounts} --org-instances ${options.orgInstances} --org-share ${options.orgShare}`);
  parts.push(`--out ${options.out}`);
  if (options.functions) parts.push(`--functions ${options.functions.join(',')}`);
  if (options.handlerLog) parts.push(`--handler-log ${options.handlerLog}`);
  if (options.handlerNodeOptions !== undefined) parts.push(`--handler-node-options "${options.handlerNodeOptions}"`);
  return parts.join(' ');
}

export type BenchPart = 'burst' | 'latency' | 'sweep' | 'org';

/** The command that measures one part of the report on its own (the others skipped), as the report quotes it. */
export function partCommand(options: BenchOptions, part: BenchPart): string {
  const skips = (['burst', 'latency', 'sweep'] as const).filter((other) => other !== part).map((other) => `--skip-${other}`);
  const own: Record<BenchPart, string[]> = {
    burst: [
      `--instances ${options.instances}`,
      `--time-scales ${options.timeScales.join(',')}`,
      `--concurrency ${options.concurrency}`,
      `--seed ${options.seed}`,
      `--two-eni-share ${options.twoEniShare}`,
      `--unsupported-share ${options.unsupportedShare}`,
    ],
    latency: [`--latency-samples ${options.latencySamples}`, `--seed ${options.seed}`],
    sweep: [`--sweep-fleets ${options.sweepFleets.join(',')}`, `--sweep-repeats ${options.sweepRepeats}`, `--seed ${options.seed}`],
    org: [
      `--org --org-accounts ${options.orgAccounts} --org-instances ${options.orgInstances} --org-share ${options.orgShare}`,
      `--concurrency ${options.concurrency}`,
      `--seed ${options.seed}`,
      `--two-eni-share ${options.twoEniShare}`,
    ],
  };
  return `npm run bench -- --skip-bundles ${skips.join(' ')} ${own[part].join(' ')} --repeats ${options.repeats} --out /tmp/bench-${part}.md`;
}
