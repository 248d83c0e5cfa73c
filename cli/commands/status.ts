import type { Command } from 'commander';
import { configuredTargetIds } from '../../shared/config/config';
import { readAndPlan } from '../../shared/converge';
import { acrossScopes, scopeFieldsOf } from '../across-scopes';
import { ExitCode, worstOf } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { renderStatus } from '../render/status';
import { renderUnmanaged } from '../render/unmanaged';
import { resolveScope } from '../scope';
import { findingsExitCode } from '../views/findings';
import { buildStatusReport, combineStatusReports } from '../views/status';
import { action } from './context';
import { findProblems } from './findings';
import { plansOfThisScope, reportOfRun } from './scoped-work';
import { unmanagedSessionsOf } from './unmanaged';

export function registerStatus(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('status')
      .summary('ENIs, live sessions, ledger slots and drift per instance (exit 1 on drift, 3 on configuration problems)')
      .description(
        'Per instance in scope: its ENIs, the sessions EC2 shows on them (ours and hand-made: number, target), the ' +
          'ledger slots, and drift: sessions missing from the ledger, ledger slots without a session, stale ' +
          'reservations, eligible ENIs left unmirrored, our sessions that should go. Reads only. Exit code 1 when ' +
          'there is drift reconcile can fix, 3 when the configuration (targets, filters), a named instance or a ' +
          "spoke role (an organization's account and Region the hub may not enter) needs fixing by hand, so it can " +
          'gate a pipeline.',
      ),
  )
    .addHelpText(
      'after',
      "\nExamples:\n  mirrorctl status\n  mirrorctl status --json | jq '.drift'\n  mirrorctl status --account 444455556666,777788889999\n",
    )
    .action(
      action<CommonOptions>(io, setExitCode, async ({ session, emit }, options) => {
        const named = options.instance ?? [];
        const done = await acrossScopes(session, async (scoped) => {
          const { deps, config } = scoped;
          const scope = await resolveScope(named, deps);
          const read = await readAndPlan(scope.instanceIds, deps, { rememberedEnis: 'always' });
          const plans = plansOfThisScope(session, read);
          const eniIds = [...new Set(plans.flatMap((plan) => [...plan.observedByEni.keys()]))];
          const targetIds = configuredTargetIds(config);
          const [ledgers, describedTargets, targetLoads, findings] = await Promise.all([
            deps.ledger.readEniLedgers(eniIds),
            deps.ec2.describeTargets(targetIds),
            deps.ledger.readTargetLoads(targetIds),
            findProblems(scoped, read, scope),
          ]);
          const where = scopeFieldsOf(scoped.scope);
          const status = buildStatusReport({
            plans,
            ledgers,
            configuredTargetIds: targetIds,
            describedTargets,
            targetLoads,
            scope,
            config,
            findings,
            where,
          });
          // Shown, not counted as drift: reconcile never touches a session that is not ours.
          const unmanagedSessions = (await unmanagedSessionsOf(scoped)).map((session) => ({ ...where, ...session }));
          return { scope, report: { ...status, unmanagedSessions } };
        });
        const report = reportOfRun(session, named, done, combineStatusReports);
        emit(
          report,
          (shown, colors, width) => renderStatus(shown, colors, width) + renderUnmanaged(shown.unmanagedSessions, colors, width),
        );
        return worstOf(report.drift.total > 0 ? ExitCode.findings : ExitCode.ok, findingsExitCode(report.findings));
      }),
    );
}
