/**
 * `npm start`: the whole product on loopback, playing a realistic story, readable as it happens.
 * `--json` prints a machine-readable summary on stdout (the log then goes to stderr).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { toJsonSummary } from './json';
import { runOrganizationSandbox } from './organization/runner';
import { DEFAULT_ACCOUNTS, MAX_ACCOUNTS, MAX_REGIONS, MIN_ACCOUNTS } from './organization/scenario';
import { colorsFor, createRenderer, widthFor } from './render';
import { runSandbox, type SandboxOptions } from './runner';
import { DEFAULT_INSTANCES, MIN_INSTANCES } from './scenario';
import type { SandboxSummary } from './summary';

interface CliOptions {
  readonly instances: number;
  readonly seed: number;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly accounts?: number;
  readonly regions?: number;
}

function atMost(max: number, parse: (raw: string) => number) {
  return (raw: string): number => {
    const value = parse(raw);
    if (value > max) throw new InvalidArgumentError(`must be an integer <= ${max}`);
    return value;
  };
}

function integer(min: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
    return value;
  };
}

const program = new Command()
  .name('npm start --')
  .description(
    'The sandbox: dynalite, the EC2 simulator, the event bus and the real handlers on 127.0.0.1, playing a story ' +
      '(launch, tag, stop, start, untag, terminate, scheduled sweep) over a two-zone fleet, then checking invariants.',
  )
  .addOption(
    new Option('-n, --instances <count>', `instances in the fleet (>= ${MIN_INSTANCES})`)
      .default(DEFAULT_INSTANCES)
      .argParser(integer(MIN_INSTANCES)),
  )
  .addOption(new Option('-s, --seed <number>', 'seed for the fleet tail and the simulator ids').default(1).argParser(integer(0)))
  .addOption(
    new Option(
      '--accounts <count>',
      `the organization story: the security account (the hub) and count-1 member accounts (${MIN_ACCOUNTS}..${MAX_ACCOUNTS}), ` +
        'the last member without its spoke role; --instances does not apply',
    ).argParser(atMost(MAX_ACCOUNTS, integer(MIN_ACCOUNTS))),
  )
  .addOption(
    new Option('--regions <count>', `Regions of the organization story (1..${MAX_REGIONS}); implies --accounts 3 when not given`).argParser(
      atMost(MAX_REGIONS, integer(1)),
    ),
  )
  .option('--json', 'print a machine-readable summary on stdout; the log goes to stderr', false)
  .option('-q, --quiet', 'no log, only the final report (or the JSON)', false)
  .exitOverride()
  .addHelpText(
    'after',
    '\nExit code: 0 when every invariant holds after every step and the dead-letter queue holds just the malformed\n' +
      'event the story sends; 1 otherwise; 2 on bad options or when the sandbox itself failed.\n' +
      'Colours: only on a terminal; NO_COLOR=1 turns them off, FORCE_COLOR=1 forces them.',
  );

async function main(): Promise<number> {
  try {
    program.parse();
  } catch (error) {
    // Commander has already printed the help or the usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<CliOptions>();
  const logStream = options.json ? process.stderr : process.stdout;
  const names = new Map<string, string>();
  const targetLabels = new Map<string, string>();
  const renderer = createRenderer({
    write: options.quiet ? () => undefined : (text) => logStream.write(text),
    color: colorsFor(logStream),
    ...(widthFor(logStream) !== undefined && { width: widthFor(logStream) }),
    names,
    targetLabels,
  });
  const hooks: Omit<SandboxOptions, 'instances' | 'seed'> = {
    names,
    targetLabels,
    onBanner: (text) => renderer.banner(text),
    onStep: (index, total, step) => renderer.stepHeader(index, total, step),
    onDecision: (decision) => renderer.decision(decision),
    onLogEntry: (entry) => renderer.logEntry(entry),
    onNote: (text) => renderer.note(text),
    onStepChecked: (report) => renderer.stepChecked(report),
  };
  const organization = options.accounts !== undefined || options.regions !== undefined;
  const run: { readonly summary: SandboxSummary } = organization
    ? await runOrganizationSandbox({
        ...hooks,
        seed: options.seed,
        accounts: options.accounts ?? DEFAULT_ACCOUNTS,
        regions: options.regions ?? 1,
      })
    : await runSandbox({ ...hooks, instances: options.instances, seed: options.seed });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(toJsonSummary(run.summary), null, 2)}\n`);
  } else {
    const width = widthFor(process.stdout);
    const report = createRenderer({
      write: (text) => process.stdout.write(text),
      color: colorsFor(process.stdout),
      ...(width !== undefined && { width }),
      names,
      targetLabels,
    });
    report.finalReport(run.summary);
  }
  return run.summary.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sandbox failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
