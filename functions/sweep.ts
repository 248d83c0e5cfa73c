/** Scheduled sweep -> converge every tagged, managed or remembered instance. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../shared/config/config';
import { defaultDeps, handleSweep, type ConvergeSummary } from '../shared/converge';
import { logger, metrics } from '../shared/observability';

const deps = defaultDeps(loadConfig(process.env));

export const handler = middy<ScheduledEvent, ConvergeSummary>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler((event) => handleSweep(event, deps));
