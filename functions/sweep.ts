/** Scheduled sweep -> converge every tagged, managed or remembered instance, bounded per run and paced. */
import type { ScheduledEvent } from 'aws-lambda';
import { loadSweepSettings } from '../shared/config/sweep-settings';
import type { SweepSummary } from '../shared/converge/sweep';
import { handleScheduledSweep } from '../shared/lambda/sweep-handler';
import { TokenBucket } from '../shared/util/token-bucket';
import { governanceDeps } from '../shared/wiring/governance';
import { lambdaHandler } from './support/handlers';

const settings = loadSweepSettings(process.env);
// Per container: runs reusing a warm container share one budget.
const bucket = new TokenBucket({ capacity: settings.mutationBurst, refillPerSecond: settings.mutationsPerSecond });

export const handler = lambdaHandler<ScheduledEvent, SweepSummary>((event, context, deps) =>
  handleScheduledSweep(event, deps, {
    ledger: deps.sweepLedger,
    settings,
    bucket,
    unmanaged: governanceDeps(deps.config).unmanaged,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  }),
);
