/** Scheduled sweep -> converge every tagged, managed or remembered instance, bounded per run and paced. */
import type { ScheduledEvent } from 'aws-lambda';
import { loadSweepSettings } from '../shared/config/sweep-settings';
import type { SweepSummary } from '../shared/converge/sweep';
import { type OrganizationSweepSummary, sweepOrganization } from '../shared/lambda/organization-sweep';
import { handleScheduledSweep } from '../shared/lambda/sweep-handler';
import { logger } from '../shared/observability';
import { TokenBucket } from '../shared/util/token-bucket';
import { governanceDeps } from '../shared/wiring/governance';
import { lambdaHandler, organizationFromEnvironment, organizationHandler } from './support/handlers';

const settings = loadSweepSettings(process.env);
// Per container: runs reusing a warm container share one budget.
const bucket = new TokenBucket({ capacity: settings.mutationBurst, refillPerSecond: settings.mutationsPerSecond });

function singleAccountHandler() {
  return lambdaHandler<ScheduledEvent, SweepSummary>((event, context, deps) =>
    handleScheduledSweep(event, deps, {
      ledger: deps.sweepLedger,
      settings,
      bucket,
      unmanaged: governanceDeps(deps.config).unmanaged,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    }),
  );
}

/** With an organization document: every (account, Region) of it, each with its own cursor and pacing. */
function organizationSweepHandler() {
  const organization = organizationFromEnvironment();
  if (organization === undefined) return undefined;
  const buckets = new Map<string, TokenBucket>();
  return organizationHandler<ScheduledEvent, OrganizationSweepSummary>((event, context) =>
    sweepOrganization(event, { organization, logger }, { settings, buckets, remainingTimeMs: () => context.getRemainingTimeInMillis() }),
  );
}

export const handler = organizationSweepHandler() ?? singleAccountHandler();
