import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { flushOutbox, SWEEP_FLUSH_LIMIT } from '../../shared/converge/outbox';
import { acrossScopes, scopeFieldsOf, scopeProblemsExitCode } from '../across-scopes';
import { ExitCode, worstOf } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { trackUndelivered, type UndeliveredEvents } from '../outcome-delivery';
import { type ReconcileOutcome, reconcileInstances } from '../reconcile-run';
import { renderReconcile } from '../render/reconcile';
import { resolveScope } from '../scope';
import { buildReconcileReport } from '../views/reconcile';
import { action } from './context';
import { coveredInstances, outcomesOf } from './scoped-work';

export function registerReconcile(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('reconcile')
      .summary('converge now, as the scheduled sweep does (exit 1 on failures)')
      .description(
        'Runs the same converge as the Lambdas on every instance in scope: attaches, detaches and ledger repairs, ' +
          'each recorded in the ledger history and published as an outcome event, with trigger id mirrorctl-<uuid>. ' +
          'With an organization document, in each of its accounts and Regions (or those --account / --region name), ' +
          "through that account's spoke role; one the hub may not enter is reported (exit 3) and the others still " +
          'converge. Shows a progress bar on a terminal for large fleets, then a summary. Exit code 1 when any ' +
          'instance failed. Outcome events EventBridge did not take are reported as pending, not as failures: the ' +
          "changes are made, and the events stay in the ledger's outbox until a later reconcile or the sweep sends them.",
      ),
  )
    .addHelpText('after', '\nExamples:\n  mirrorctl reconcile\n  mirrorctl reconcile --instance i-0123456789abcdef0 --json\n')
    .action(
      action<CommonOptions>(io, setExitCode, async (context, options) => {
        const { session } = context;
        const triggerEventId = `mirrorctl-${randomUUID()}`;
        const named = options.instance ?? [];
        const home = trackUndelivered(session.deps.publisher);
        // Events an earlier run (a reconcile whose bus was unreachable, a crashed Lambda) left in the ledger's outbox
        // are announced first, under their original outcomeId, so consumers that dedupe count each change once.
        const flushedEvents = await flushOutbox({ ...session.deps, publisher: home.publisher }, SWEEP_FLUSH_LIMIT);
        const deliveries: UndeliveredEvents[] = [home];
        const done = await acrossScopes(session, async (scoped) => {
          const delivery = scoped.scope === undefined ? home : trackUndelivered(scoped.deps.publisher);
          if (delivery !== home) deliveries.push(delivery);
          const deps = { ...scoped.deps, publisher: delivery.publisher };
          const scope = await resolveScope(named, deps);
          const progress = context.progress(scope.instanceIds.length);
          let outcome: ReconcileOutcome;
          try {
            outcome = await reconcileInstances(scope, triggerEventId, deps, delivery, progress.tick, scoped.scope !== undefined);
          } finally {
            progress.stop();
          }
          const where = scopeFieldsOf(scoped.scope);
          return { scope, outcome: { ...outcome, records: outcome.records.map((record) => ({ ...where, ...record })) } };
        });
        const outcomes = done.results.map((result) => result.value.outcome);
        const [first, ...rest] = outcomes;
        const combined: ReconcileOutcome = {
          records: outcomes.flatMap((outcome) => outcome.records),
          // With an organization, a named instance is not found when no scope knows it.
          notFound: (first?.notFound ?? []).filter((instanceId) => rest.every((outcome) => outcome.notFound.includes(instanceId))),
        };
        const scope = coveredInstances(
          named,
          done.results.map((result) => result.value.scope),
        );
        const report = buildReconcileReport(
          combined,
          scope,
          triggerEventId,
          {
            pending: () => deliveries.flatMap((delivery) => delivery.pending()),
            reason: () => deliveries.map((delivery) => delivery.reason()).find((reason) => reason !== undefined),
          },
          flushedEvents,
          session.organization === undefined ? undefined : outcomesOf(session, done),
        );
        context.emit(report, renderReconcile);
        return worstOf(
          report.totals.fail > 0 ? ExitCode.findings : ExitCode.ok,
          report.notFound.length > 0 ? ExitCode.configuration : ExitCode.ok,
          scopeProblemsExitCode(done.problems),
        );
      }),
    );
}
