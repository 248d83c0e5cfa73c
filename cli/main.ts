/**
 * mirrorctl: the operator's view of the orchestrator. `run(argv, io)` is the whole CLI (the bin passes the process;
 * tests pass buffers); commands call shared/ exactly as the Lambdas do, rendering lives in render/.
 */
import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { ConfigError } from '../shared/domain/errors';
import { CommandFailure } from './commands/context';
import { registerPlan } from './commands/plan';
import { registerReconcile } from './commands/reconcile';
import { registerReport } from './commands/report';
import { registerStatus } from './commands/status';
import { ExitCode, UsageError } from './exit-codes';
import { type CliIo, processIo } from './io';
import { addCommonOptions } from './options';

export { ExitCode } from './exit-codes';
export type { CliIo, OutputStream } from './io';
export { processIo } from './io';

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = addCommonOptions(new Command('mirrorctl'))
    .description('Operate vpc-mirror-orchestrator: dry-run plans, fleet status and drift, reconcile on demand.')
    .version(`${version} (Node.js ${process.version})`)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      "\nConfiguration: --stack <name> or --stage <stage> reads it from the deployed stack; the Lambdas' variables\n" +
        '(MIRROR_TARGET_IDS, MIRROR_FILTER_ID, LEDGER_TABLE_NAME, ...) and the flags override it. Options go before or\n' +
        'after the command. AWS access: the standard credential chain, --profile / --region, AWS_ENDPOINT_URL_<SERVICE>.\n' +
        'Organization: with an organization document (MIRROR_ORGANIZATION_PARAMETER, the stack, or\n' +
        '--organization-parameter) every command covers each account and Region the document lists, through each\n' +
        "account's spoke role; --account and --region (repeatable or comma lists) narrow that. --region then picks the\n" +
        "document's Regions, while the hub's own Region (ledger, document) stays the profile's or AWS_REGION. Without a\n" +
        'document, --region is the one AWS Region (AWS_REGION) and --account is refused.\n' +
        'Exit codes: 0 nothing to do, 1 drift reconcile can fix (or failures, AWS unreachable), 2 usage,\n' +
        '3 configuration or access problem (a target, filter, table, stack, credentials or spoke role to fix by hand).\n',
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
    if (error instanceof CommandFailure) {
      io.stderr.write(`mirrorctl: ${error.failure.message}\n`);
      return error.failure.exitCode;
    }
    io.stderr.write(`mirrorctl: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.findings;
  }
}
