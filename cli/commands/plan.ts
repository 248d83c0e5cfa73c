import type { Command } from 'commander';
import { readAndPlan } from '../../shared/converge';
import { acrossScopes, scopeFieldsOf } from '../across-scopes';
import { ExitCode, worstOf } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { renderPlan } from '../render/plan';
import { resolveScope } from '../scope';
import { findingsExitCode } from '../views/findings';
import { buildPlanReport, combinePlanReports } from '../views/plan';
import { action } from './context';
import { findProblems } from './findings';
import { plansOfThisScope, reportOfRun } from './scoped-work';

export function registerPlan(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('plan')
      .summary('dry run: what converge would attach or detach, and why (writes nothing; exit 3 on configuration problems)')
      .description(
        'Reads EC2 and the ledger and plans exactly as the Lambdas do, without writing anything: no EC2 call that ' +
          'changes state, no ledger write, no event. Default scope: every instance tagged for mirroring, named by ' +
          'one of our sessions, or remembered by the ledger (in every account and Region of the organization ' +
          'document, when there is one). Checks that the configured targets and filters exist and can be used: exit ' +
          'code 3 when not, when a named instance is not found, or when a spoke role is missing or denied.',
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  mirrorctl plan\n  mirrorctl plan --instance i-0123456789abcdef0 --json\n  mirrorctl plan --account 444455556666 --region eu-west-1\n',
    )
    .action(
      action<CommonOptions>(io, setExitCode, async ({ session, emit }, options) => {
        const named = options.instance ?? [];
        const done = await acrossScopes(session, async (scoped) => {
          const scope = await resolveScope(named, scoped.deps);
          const plans = await readAndPlan(scope.instanceIds, scoped.deps, { rememberedEnis: 'always' });
          const findings = await findProblems(scoped, plans, scope);
          const shown = plansOfThisScope(session, plans);
          return { scope, report: buildPlanReport(shown, scope, scoped.config, findings, scopeFieldsOf(scoped.scope)) };
        });
        const report = reportOfRun(session, named, done, combinePlanReports);
        emit(report, renderPlan);
        return worstOf(ExitCode.ok, findingsExitCode(report.findings));
      }),
    );
}
