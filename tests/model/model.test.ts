/**
 * The model-based test (issue 9): random, seeded sequences of what the world, the operators and the delivery
 * machinery do (tests/model/support/commands.ts), played against the real product code over the real SDK
 * (simulator + dynalite), then quiescence plus one sweep and the checks of tests/model/support/final-checks.ts.
 * A failure names the seed and the shrunk sequence; replay it with MODEL_SEEDS=<seed>.
 *   npm test:          MODEL_SEEDS=1,2,3 MODEL_RUNS=8 MODEL_COMMANDS=40 MODEL_SEED_BUDGET_MS=10000 (defaults)
 *   a counterexample:  MODEL_SEEDS=<seed> MODEL_PATH=<path> MODEL_REPLAY_PATH=<replayPath> (all printed with it)
 *   one defect:        MODEL_FOCUS=<regular expression>: only the violations it matches fail (and are shrunk)
 *   a longer read lag: MODEL_CONSISTENCY_MS=<ms> (300 by default) for the eventual-consistency operation
 *   npm run test:chaos: more seeds, runs and commands (package.json)
 * Figures per seed are printed and written to .ci-out/model-last-run.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { type ModelState, operations } from './support/commands';
import { addFigures, emptyFigures, type ModelFigures } from './support/figures';
import { settleAndCheck } from './support/final-checks';
import { ModelCloud } from './support/model-cloud';
import { FOUND_SCENARIOS, ISSUE_9_SCENARIOS } from './support/scenarios';

const numbers = (raw: string | undefined, fallback: string) =>
  (raw ?? fallback)
    .split(',')
    .map((item) => Number(item.trim()))
    .filter(Number.isInteger);
const SEEDS = numbers(process.env.MODEL_SEEDS, '1,2,3');
const RUNS = Number(process.env.MODEL_RUNS ?? 8);
const COMMANDS = Number(process.env.MODEL_COMMANDS ?? 40);
/** Bound on one seed's runs and shrinking: a failure found is then reported as far as it was shrunk. */
const SEED_BUDGET_MS = Number(process.env.MODEL_SEED_BUDGET_MS ?? 10_000);
/** Diagnosis: only violations matching this pattern fail a run, so fast-check shrinks towards that one defect. */
const FOCUS = process.env.MODEL_FOCUS ? new RegExp(process.env.MODEL_FOCUS) : undefined;
/** Replays one counterexample: the `path` fast-check printed for MODEL_SEEDS=<its seed>. */
const PATH = process.env.MODEL_PATH;
/** ...with the commands' own replay path (the replayPath printed at the end of the counterexample). */
const REPLAY_PATH = process.env.MODEL_REPLAY_PATH;
const OUT = path.resolve(__dirname, '../../.ci-out/model-last-run.json');

interface SeedResult {
  readonly figures: ModelFigures;
  /** The violations of the last failing run (the most shrunk counterexample). */
  readonly violations: readonly string[];
  /** Every kind of violation met while playing and shrinking (ids blanked), with one example each. */
  readonly kinds: Record<string, string>;
  /** The seed's time budget ran out before all its runs (or its shrinking) were done. */
  readonly interrupted: boolean;
  readonly counterexample?: string;
}

/** A violation without its resource ids, so that the same defect met on other resources counts once. */
function kindOf(violation: string): string {
  return violation.replace(/\b(i|eni|tms|tmt|tmf|m)-[0-9a-f]+\b/g, '$1-*').replace(/\d+/g, 'N');
}

const results: SeedResult[] = [];

afterAll(() => {
  if (results.length === 0) return;
  const total = emptyFigures(0);
  for (const result of results) addFigures(total, result.figures);
  const summary = {
    command: `MODEL_SEEDS=${SEEDS.join(',')} MODEL_RUNS=${RUNS} MODEL_COMMANDS=${COMMANDS}${FOCUS ? ` MODEL_FOCUS='${FOCUS.source}'` : ''} npx jest tests/model`,
    finishedAt: new Date().toISOString(),
    seeds: SEEDS,
    totals: { ...total, seed: undefined },
    results,
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(summary, null, 2)}\n`);
  const lines = results.map(({ figures: f, kinds, interrupted }) =>
    [
      `seed ${f.seed}: ${f.runs} runs${interrupted ? ' (time budget reached)' : ''}, ${f.operations} operations, ${f.instances} instances, ${f.configurationChanges} configuration changes`,
      `(${f.refusedConfigurations} refused), ${f.ledgerLosses} ledger losses, ${f.quotasPlayed} quotas, ${f.crashes} crashes,`,
      `${f.interfacesAttached} interfaces attached and ${f.interfacesDetached} detached later,`,
      `${f.deliveries} deliveries (${f.duplicates} duplicated, ${f.reorders} reordered batches, ${f.drops} dropped, ${f.deadLettered} dead-lettered),`,
      `${f.sweeps} sweeps, ${f.violations} violations found (${Object.keys(kinds).length} kinds)`,
    ].join(' '),
  );
  process.stdout.write(`\nmodel-based test:\n${lines.join('\n')}\nwritten to ${OUT}\n`);
});

describe('the model-based test', () => {
  it.each(SEEDS)(
    'seed %i: whatever is played, quiescence plus one sweep leaves every eligible ENI mirrored once on the current settings, nothing else, and a consistent ledger',
    async (seed) => {
      const figures = emptyFigures(seed);
      let lastViolations: string[] = [];
      const kinds: Record<string, string> = {};
      let reporting = true;
      const play = async (commands: Iterable<fc.AsyncCommand<ModelState, ModelCloud>>) => {
        const cloud = await ModelCloud.start(seed);
        try {
          await fc.asyncModelRun(() => ({ model: {} as ModelState, real: cloud }), commands);
          const violations = (await settleAndCheck(cloud)).filter((violation) => FOCUS === undefined || FOCUS.test(violation));
          if (!reporting) return; // a run the time budget cut short finishes unreported
          cloud.figures.runs = 1;
          cloud.figures.instances = cloud.instances.length;
          cloud.figures.violations = violations.length;
          addFigures(figures, cloud.figures);
          if (violations.length > 0) lastViolations = violations;
          for (const violation of violations) kinds[kindOf(violation)] ??= `${violation}\n    played: ${String(commands)}`;
          expect(violations).toEqual([]);
        } finally {
          await cloud.stopAll();
        }
      };
      // fast-check stops waiting for a run when the time budget is up; the run still owns its servers until it ends.
      const inFlight = new Set<Promise<void>>();
      const property = fc.asyncProperty(
        fc.noBias(fc.commands([operations], { maxCommands: COMMANDS, size: 'max', ...(REPLAY_PATH ? { replayPath: REPLAY_PATH } : {}) })),
        async (commands) => {
          const run = play(commands);
          inFlight.add(run);
          try {
            await run;
          } finally {
            inFlight.delete(run);
          }
        },
      );

      const details = await fc.check(property, {
        seed,
        numRuns: RUNS,
        plugins: [fc.interruptAfterTimeLimit(SEED_BUDGET_MS)],
        ...(PATH ? { path: PATH, endOnFailure: true } : {}),
      });
      reporting = false;
      await Promise.allSettled([...inFlight]);
      const counterexample = details.failed ? fc.defaultReportMessage(details) : undefined;
      results.push({
        figures,
        violations: lastViolations,
        kinds,
        interrupted: details.interrupted,
        ...(counterexample ? { counterexample } : {}),
      });

      if (counterexample) throw new Error(`${counterexample}\nViolations of the shrunk counterexample:\n  ${lastViolations.join('\n  ')}`);
      // The time budget may cut a seed short; at least one whole run must have been played and checked.
      expect(figures.runs).toBeGreaterThan(0);
    },
    600_000,
  );
});

describe.each([
  ['on issue 9, item by item', ISSUE_9_SCENARIOS],
  ['on the counterexamples it found', FOUND_SCENARIOS],
] as const)('the model-based test %s', (_subject, scenarios) => {
  it.each(scenarios.map((scenario) => [scenario.item, scenario.title, scenario] as const))(
    'item %s: %s',
    async (_item, _title, scenario) => {
      const cloud = await ModelCloud.start(9);
      try {
        await fc.asyncModelRun(() => ({ model: {} as ModelState, real: cloud }), scenario.operations);
        const violations = await settleAndCheck(cloud);

        expect(cloud.figures.operations).toBe(scenario.operations.length);
        expect(violations).toEqual([]);
      } finally {
        await cloud.stopAll();
      }
    },
    120_000,
  );
});
