/** Scheduled sweep -> converge every tagged, managed or remembered instance, bounded per run and paced. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps } from '../shared/wiring/deps';
import { handleScheduledSweep } from '../shared/lambda/sweep-handler';
import { loadSweepSettings } from '../shared/config/sweep-settings';
import type { SweepSummary } from '../shared/converge/sweep';
import { TokenBucket } from '../shared/util/token-bucket';
import { logger, metrics } from '../shared/observability';

const config = loadConfig(process.env);
const settings = loadSweepSettings(process.env);
const deps = defaultDeps(config);
// Per container: runs reusing a warm container share one budget.
const bucket = new TokenBucket({ capacity: settings.mutationBurst, refillPerSecond: settings.mutationsPerSecond });

export const handler = middy<ScheduledEvent, SweepSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event, context) =>
    handleScheduledSweep(event, deps, { ledger: deps.sweepLedger, settings, bucket, remainingTimeMs: () => context.getRemainingTimeInMillis() }),
  );
