import type { Command } from 'commander';
import { readAndPlan } from '../../shared/converge';
import { ExitCode, worstOf } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { renderPlan } from '../render/plan';
import { resolveScope } from '../scope';
import { findingsExitCode } from '../views/findings';
import { buildPlanReport } from '../views/plan';
import { action } from './context';
import { findProblems } from './findings';

export function registerPlan(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('plan')
      .summary('dry run: what converge would attach or detach, and why (writes nothing; exit 3 on configuration problems)')
      .description(
        'Reads EC2 and the ledger and plans exactly as the Lambdas do, without writing anything: no EC2 call that ' +
          'changes state, no ledger write, no event. Default scope: every instance tagged for mirroring, named by ' +
          'one of our sessions, or remembered by the ledger. Checks that the configured targets and filters exist and ' +
          'can be used: exit code 3 when not, or when a named instance is not found.',
      ),
  )
    .addHelpText('after', '\nExamples:\n  mirrorctl plan\n  mirrorctl plan --instance i-0123456789abcdef0 --json\n')
    .action(
      action<CommonOptions>(io, setExitCode, async ({ session, emit }, options) => {
        const scope = await resolveScope(options.instance ?? [], session.deps);
        const plans = await readAndPlan(scope.instanceIds, session.deps, { rememberedEnis: 'always' });
        const findings = await findProblems(session, plans, scope);
        emit(buildPlanReport(plans, scope, session.config, findings), renderPlan);
        return worstOf(ExitCode.ok, findingsExitCode(findings));
      }),
    );
}
