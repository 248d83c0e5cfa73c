/** Scheduled sweep -> converge every tagged, managed or remembered instance, bounded per run and paced. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { createAnnouncementLedger } from '../shared/aws/announcement-ledger';
import { dynamoDocuments, ec2 } from '../shared/aws/clients';
import { createInventory } from '../shared/aws/inventory';
import { createSweepLedger } from '../shared/aws/sweep-ledger';
import { defaultDeps } from '../shared/converge';
import { handleScheduledSweep } from '../shared/converge/sweep-handler';
import { loadSweepSettings } from '../shared/converge/sweep-settings';
import type { SweepSummary } from '../shared/converge/sweep';
import { TokenBucket } from '../shared/converge/token-bucket';
import { logger, metrics } from '../shared/observability';

const config = loadConfig(process.env);
const settings = loadSweepSettings(process.env);
const deps = defaultDeps(config);
const ledger = createSweepLedger({ documents: dynamoDocuments(), tableName: config.tableName });
const unmanaged = {
  inventory: createInventory({ client: ec2(), ownerId: config.ownerId }),
  announcements: createAnnouncementLedger({ documents: dynamoDocuments(), tableName: config.tableName, historyTtlDays: config.historyTtlDays }),
};
// Per container: runs reusing a warm container share one budget.
const bucket = new TokenBucket({ capacity: settings.mutationBurst, refillPerSecond: settings.mutationsPerSecond });

export const handler = middy<ScheduledEvent, SweepSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event, context) =>
    handleScheduledSweep(event, deps, { ledger, settings, bucket, unmanaged, remainingTimeMs: () => context.getRemainingTimeInMillis() }),
  );
