/**
 * `npm run local`: one command for a local world mirrorctl can talk to. Prints the `export` lines for a shell,
 * writes them to an env file too (default .mirrorctl-local.env), and runs until Ctrl-C, which stops every server
 * and removes the env file (its endpoints would be dead).
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { startLocalWorld } from './world';

const DEFAULT_ENV_FILE = '.mirrorctl-local.env';

interface Options {
  readonly exportFile: string;
  readonly seed: number;
  readonly verbose: boolean;
}

function parseSeed(raw: string): number {
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError(`expected a whole number, got "${raw}"`);
  return seed;
}

/** Single quotes for a POSIX shell: the values are ids, URLs and names, but quote them anyway. */
const quoted = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<number> {
  const program = new Command('npm run local --')
    .description('A local world on 127.0.0.1 for mirrorctl: dynalite + ledger table, EC2 simulator, event bus, functions.')
    .option('--export-file <path>', 'where to write the export lines', DEFAULT_ENV_FILE)
    .option('--seed <n>', 'simulator seed (ids and timings)', parseSeed, 1)
    .option('--verbose', "print the functions' log lines on stderr", false)
    .exitOverride();
  try {
    program.parse();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<Options>();
  process.stderr.write('Starting the local world (dynalite, EC2 simulator, event bus, functions)...\n');
  const world = await startLocalWorld({
    seed: options.seed,
    ...(options.verbose && { onFunctionLog: (name: string, line: string) => process.stderr.write(`${name}: ${line}\n`) }),
  });
  const envFile = path.resolve(options.exportFile);
  const exports = Object.entries(world.env).map(([name, value]) => `export ${name}=${quoted(value)}`);
  writeFileSync(envFile, `${exports.join('\n')}\n`);
  const fleet = [...world.instances].map(([name, id]) => `${name} ${id}`).join(', ');
  process.stdout.write(
    `${exports.join('\n')}\n\n` +
      `# Local world ready: targets ${world.targetIds.join(', ')}, filter ${world.filterId}\n` +
      `# fleet: ${fleet}\n` +
      `# The lines above are in ${options.exportFile}: in another shell, \`source ${options.exportFile}\` then \`npx mirrorctl status\`.\n` +
      '# Ctrl-C stops it.\n',
  );

  // Handlers stay installed while stopping: a terminal's Ctrl-C reaches this process both directly and relayed by
  // tsx, and a second SIGINT with no handler would kill it halfway through the stop.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
  process.stderr.write('Stopping the local world...\n');
  rmSync(envFile, { force: true });
  await world.stop();
  process.stderr.write('Stopped.\n');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`local world failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
