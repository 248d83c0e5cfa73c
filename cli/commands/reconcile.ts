import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { flushOutbox, SWEEP_FLUSH_LIMIT } from '../../shared/converge/outbox';
import { ExitCode, worstOf } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { trackUndelivered } from '../outcome-delivery';
import { type ReconcileOutcome, reconcileInstances } from '../reconcile-run';
import { renderReconcile } from '../render/reconcile';
import { resolveScope } from '../scope';
import { buildReconcileReport } from '../views/reconcile';
import { action } from './context';

export function registerReconcile(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('reconcile')
      .summary('converge now, as the scheduled sweep does (exit 1 on failures)')
      .description(
        'Runs the same converge as the Lambdas on every instance in scope: attaches, detaches and ledger repairs, ' +
          'each recorded in the ledger history and published as an outcome event, with trigger id mirrorctl-<uuid>. ' +
          'Shows a progress bar on a terminal for large fleets, then a summary. Exit code 1 when any instance failed. ' +
          'Outcome events EventBridge did not take are reported as pending, not as failures: the changes are made, and ' +
          "the events stay in the ledger's outbox until a later reconcile or the sweep sends them.",
      ),
  )
    .addHelpText('after', '\nExamples:\n  mirrorctl reconcile\n  mirrorctl reconcile --instance i-0123456789abcdef0 --json\n')
    .action(
      action<CommonOptions>(io, setExitCode, async (context, options) => {
        const triggerEventId = `mirrorctl-${randomUUID()}`;
        const delivery = trackUndelivered(context.session.deps.publisher);
        const deps = { ...context.session.deps, publisher: delivery.publisher };
        // Events an earlier run (a reconcile whose bus was unreachable, a crashed Lambda) left in the ledger's outbox
        // are announced first, under their original outcomeId, so consumers that dedupe count each change once.
        const flushedEvents = await flushOutbox(deps, SWEEP_FLUSH_LIMIT);
        const scope = await resolveScope(options.instance ?? [], deps);
        const progress = context.progress(scope.instanceIds.length);
        let outcome: ReconcileOutcome;
        try {
          outcome = await reconcileInstances(scope, triggerEventId, deps, delivery, progress.tick);
        } finally {
          progress.stop();
        }
        const report = buildReconcileReport(outcome, scope, triggerEventId, delivery, flushedEvents);
        context.emit(report, renderReconcile);
        return worstOf(
          report.totals.fail > 0 ? ExitCode.findings : ExitCode.ok,
          report.notFound.length > 0 ? ExitCode.configuration : ExitCode.ok,
        );
      }),
    );
}
