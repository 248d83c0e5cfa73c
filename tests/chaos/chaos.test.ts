/**
 * The chaos suite: several seeded runs (tests/chaos/run-chaos.ts), each ending with zero invariant violations and a
 * consistent ledger. Prints one line of figures per run and writes the aggregate to .ci-out/chaos-last-run.json.
 *   CHAOS_SEEDS=1,2,3 (default)   CHAOS_STEPS=30   CHAOS_INSTANCES=8
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { type ChaosFigures, runChaos } from './run-chaos';

const SEEDS = (process.env.CHAOS_SEEDS ?? '1,2,3')
  .split(',')
  .map((seed) => Number(seed.trim()))
  .filter(Number.isInteger);
const STEPS = Number(process.env.CHAOS_STEPS ?? 30);
const INSTANCES = Number(process.env.CHAOS_INSTANCES ?? 8);
const OUT = path.resolve(__dirname, '../../.ci-out/chaos-last-run.json');
const COLUMNS: Array<keyof ChaosFigures> = [
  'seed',
  'instances',
  'events',
  'deliveries',
  'duplicates',
  'reorders',
  'drops',
  'stormInvocations',
  'faults',
  'crashes',
  'handlerCrashes',
  'failedBatches',
  'redeliveries',
  'retries',
  'deadLettered',
  'eligibleEnis',
  'managedSessions',
  'changesAfterConverged',
  'violations',
  'wallSeconds',
];

const runs: ChaosFigures[] = [];

afterAll(() => {
  if (runs.length === 0) return;
  const table = new Table({ head: COLUMNS, style: { head: [], border: [] } });
  for (const run of runs) table.push(COLUMNS.map((column) => String(run[column])));
  const sum = (key: keyof ChaosFigures) => runs.reduce((total, run) => total + Number(run[key]), 0);
  const aggregate = {
    command: `CHAOS_SEEDS=${SEEDS.join(',')} CHAOS_STEPS=${STEPS} CHAOS_INSTANCES=${INSTANCES} npm run test:chaos`,
    finishedAt: new Date().toISOString(),
    seeds: runs.map((run) => run.seed),
    totals: Object.fromEntries(COLUMNS.filter((c) => c !== 'seed').map((column) => [column, Math.round(sum(column) * 10) / 10])),
    runs,
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(aggregate, null, 2)}\n`);
  process.stdout.write(
    `\nchaos runs (steps ${STEPS}, initial instances ${INSTANCES}):\n${table.toString()}\naggregate written to ${OUT}\n`,
  );
});

describe('chaos', () => {
  it.each(SEEDS)(
    'seed %i: the fleet ends mirrored exactly as it should be, with a consistent ledger',
    async (seed) => {
      const figures = await runChaos({ seed, steps: STEPS, initialInstances: INSTANCES });
      runs.push(figures);

      expect(figures.violationDetails).toEqual([]);
      expect(figures.changesAfterConverged).toBe(0);
      // The run exercised what it claims to (a run where nothing happened would prove nothing).
      expect(figures.eligibleEnis).toBeGreaterThan(0);
      expect(figures.deliveries).toBeGreaterThan(0);
      expect(figures.drops + figures.duplicates + figures.reorders).toBeGreaterThan(0);
    },
    300_000,
  );
});
