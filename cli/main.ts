/**
 * mirrorctl: the operator's view of the orchestrator. `run(argv, io)` is the whole CLI (the bin passes the process;
 * tests pass buffers); commands call shared/ exactly as the Lambdas do, rendering lives in render/.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { ConfigError } from '../shared/domain/errors';
import { registerPlan } from './commands/plan';
import { registerReconcile } from './commands/reconcile';
import { registerReport } from './commands/report';
import { registerStatus } from './commands/status';
import { ExitCode, UsageError } from './exit-codes';
import { processIo, type CliIo } from './io';

export { processIo } from './io';
export type { CliIo, OutputStream } from './io';
export { ExitCode } from './exit-codes';

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('mirrorctl')
    .description('Operate vpc-mirror-orchestrator: dry-run plans, fleet status and drift, reconcile on demand.')
    .version(`${version} (Node.js ${process.version})`)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nConfiguration comes from the Lambdas\' variables (MIRROR_TARGET_IDS, MIRROR_FILTER_ID, LEDGER_TABLE_NAME, ...);\n' +
        'AWS access from the standard credential chain, --profile / --region, or AWS_ENDPOINT_URL_<SERVICE>.\n' +
        'Exit codes: 0 ok, 1 drift (status) or failures (reconcile), 2 usage or configuration error.\n',
    );
  registerPlan(program, io, setExitCode);
  registerStatus(program, io, setExitCode);
  registerReconcile(program, io, setExitCode);
  registerReport(program, io, setExitCode);
  return program;
}

export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // commander has already printed its own message (or the help) to stderr/stdout.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr.write(`mirrorctl: ${error.message}\n`);
      return ExitCode.usage;
    }
    const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr.write(`mirrorctl: ${described}\n`);
    return ExitCode.findings;
  }
}
