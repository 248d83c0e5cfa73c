/**
 * The one factory of the functions' handlers: each is a middy handler with Powertools' logger context and metrics
 * flushing around the work, and the real dependencies wired once per container (at module load, so the
 * adapters' caches and the SDK clients are kept warm between invocations).
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../../shared/config/config';
import type { ConvergeSummary } from '../../shared/converge';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import { logger, metrics } from '../../shared/observability';
import { defaultDeps, type RealDeps } from '../../shared/wiring/deps';

/** A handler doing `work` with the container's dependencies. */
export function lambdaHandler<E, R>(work: (event: E, context: Context, deps: RealDeps) => Promise<R>) {
  const deps = defaultDeps(loadConfig(process.env));
  return middy<E, R>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler((event, context) => work(event, context, deps));
}

/** An event function: an SQS batch of EventBridge events (partial batch response), or one direct event. */
export function convergeHandler<E>() {
  return lambdaHandler<E | SQSEvent, SQSBatchResponse | ConvergeSummary>((event, _context, deps) => handleTriggerEvent(event, deps));
}
