/**
 * startLocalCloud(): the stack from serverless.yml, on loopback. dynalite with the ledger table, the EC2 simulator
 * forwarding its events to the local EventBridge bus, and (once the caller supplies configuration) one LocalLambda
 * per function behind the stack's own rules. The caller gets the endpoints, the env a process needs to talk to
 * this cloud, and stop().
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { type Simulator, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';
import {
  type AsyncInvokeOutcome,
  DEFAULT_BUS,
  DeadLetterQueue,
  type EventEnvelope,
  LocalEventBus,
  LocalLambda,
  LocalQueue,
  matchesPattern,
  QueueEventSource,
  redrivenLetter,
  redrivenMessage,
  startSqsEndpoint,
} from '@vpc-mirror-orchestrator/local-lambda';
import { OUTCOME_SOURCE } from '../../shared/aws/publisher';
import { makeUnpackDir, resolveCode } from './artifacts';
import type { DeployOptions, LocalCloud, LocalCloudOptions } from './cloud-types';
import { createTable, planTable, startDynalite } from './ledger-table';
import { settleCloud } from './settle';
import { readStack, type StackFunction } from './stack';
import { Stoppers } from './stoppers';
import { cloudTrailProbe, DEFAULT_ACCOUNT, scheduledEvent } from './synthetic-events';

export type {
  AsyncInvokeOutcome,
  BatchReport,
  BusChaos,
  BusStats,
  DeadLetter,
  EventEnvelope,
  EventSourceStats,
  InvocationReport,
  InvokeResult,
  LambdaLogLine,
  LambdaStats,
  OnFailureRecord,
  QueueMessage,
  QueueStats,
  ReceivedEvent,
  RedrivenMessage,
} from '@vpc-mirror-orchestrator/local-lambda';
export { DeadLetterQueue, LocalEventBus, LocalLambda, LocalQueue, QueueEventSource } from '@vpc-mirror-orchestrator/local-lambda';
export type { DeployOptions, LocalCloud, LocalCloudOptions } from './cloud-types';
export type { Stack, StackFunction, StackQueue, StackQueueSource, StackRule, StackSchedule } from './stack';
export { readStack } from './stack';
export { scheduledEvent } from './synthetic-events';

const DEFAULT_CONCURRENCY = 4;

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const rootDir = path.resolve(options.rootDir ?? path.join(__dirname, '..', '..'));
  const stack = readStack(options.serverlessYml ?? path.join(rootDir, 'serverless.yml'), {
    ...(options.stage !== undefined ? { stage: options.stage } : {}),
    ...(options.params !== undefined ? { params: options.params } : {}),
  });
  const wanted = options.functions ?? stack.functions.map((fn) => fn.key);
  const unknown = wanted.filter((key) => !stack.functions.some((fn) => fn.key === key));
  if (unknown.length > 0) throw new Error(`startLocalCloud: no function ${unknown.join(', ')} in ${stack.file}`);
  const functions = stack.functions.filter((fn) => wanted.includes(fn.key));
  const region = options.region ?? stack.region;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const tableName = options.tableName ?? `${stack.service}-${stack.stage}-ledger`;
  const eventBusName = functions[0]?.environment['EVENT_BUS_NAME'] || DEFAULT_BUS;
  const deadLetters = new DeadLetterQueue();
  const stoppers = new Stoppers();
  const stopAll = () => stoppers.stopAll();

  try {
    const dynamo = await startDynalite();
    stoppers.push({ name: 'dynalite', stop: dynamo.stop });
    const table = planTable(stack.ledgerTable, tableName);
    await createTable(dynamo.endpoint, region, table);

    const bus = new LocalEventBus({
      region,
      accountId,
      outcomeSources: [OUTCOME_SOURCE],
      ...(options.chaos ? { chaos: options.chaos } : {}),
    });
    const eventBridgeEndpoint = await bus.listen();
    stoppers.push({ name: 'event bus', stop: () => bus.stop() });

    let simulator: Simulator | undefined;
    if (options.simulator !== false) {
      const wantsCloudTrail = stack.rules.some(
        (rule) => rule.enabled && functions.some((fn) => fn.key === rule.functionKey) && matchesPattern(rule.pattern, cloudTrailProbe()),
      );
      const serviceEvents = options.ec2Events === 'service-events';
      simulator = await startSimulator({
        cloudTrailEvents: wantsCloudTrail,
        ...(options.simulator ?? {}),
        region,
        accountId,
        ...(serviceEvents ? {} : { eventBridgeEndpoint, eventBusName: DEFAULT_BUS }),
      });
      const started = simulator;
      // Delivered as the simulator emits them (asynchronously: its settle() waits for them), envelope untouched.
      if (serviceEvents) started.onEvent((event) => bus.put(event as EventEnvelope, DEFAULT_BUS));
      stoppers.push({ name: 'EC2 simulator', stop: () => started.stop() });
    }

    // The functions send to their own queues too (the hub defers records whose account has no budget left).
    const queues: Record<string, LocalQueue> = {};
    const sqs = await startSqsEndpoint(() => Object.values(queues));
    stoppers.push({ name: 'SQS endpoint', stop: () => sqs.close() });

    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeEndpoint,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      // The simulator also serves STS (the hub assumes spoke roles), SSM (the organization document) and
      // Organizations (the document's OUs).
      ...(simulator
        ? {
            AWS_ENDPOINT_URL_EC2: simulator.url,
            AWS_ENDPOINT_URL_STS: simulator.url,
            AWS_ENDPOINT_URL_SSM: simulator.url,
            AWS_ENDPOINT_URL_ORGANIZATIONS: simulator.url,
          }
        : {}),
      LEDGER_TABLE_NAME: tableName,
      EVENT_BUS_NAME: eventBusName,
    };

    const timeScale = options.timeScale ?? 0.001;
    const eventSources: Record<string, QueueEventSource> = {};
    const lambdas: Record<string, LocalLambda> = {};
    for (const queue of stack.queues) {
      const consumer = functions.find((fn) => fn.queueSources.some((source) => source.queueLogicalId === queue.logicalId));
      if (consumer === undefined) continue;
      queues[queue.logicalId] = new LocalQueue({
        logicalId: queue.logicalId,
        name: queue.name,
        arn: `arn:aws:sqs:${region}:${accountId}:${queue.name}`,
        timeScale,
        ...(queue.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds } : {}),
        ...(queue.maxReceiveCount !== undefined ? { maxReceiveCount: queue.maxReceiveCount } : {}),
        onRedrive: (message, from) => {
          const functionArn =
            lambdas[consumer.key]?.functionArn ?? `arn:aws:lambda:${region}:${accountId}:function:${consumer.functionName}`;
          deadLetters.push(redrivenLetter(consumer.key, queue.deadLetterTarget, functionArn, redrivenMessage(message, from)));
        },
      });
    }
    const stopEventSources = () => {
      // Not awaited: running batches end with their functions, which stop next.
      for (const key of Object.keys(eventSources)) {
        void eventSources[key]?.stop();
        delete eventSources[key];
      }
    };
    const unpackDirs: string[] = [];
    stoppers.push({
      name: 'functions',
      stop: async () => {
        await Promise.all(Object.values(lambdas).map((lambda) => lambda.stop()));
        for (const dir of unpackDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      },
    });
    stoppers.push({
      name: 'event queues',
      stop: async () => {
        stopEventSources();
        for (const queue of Object.values(queues)) queue.close();
      },
    });

    const concurrencyOf = (fn: StackFunction): number => {
      const option = options.reservedConcurrency;
      if (typeof option === 'number') return option;
      return option?.[fn.key] ?? fn.reservedConcurrency ?? DEFAULT_CONCURRENCY;
    };

    const deployFunctions = async (configuration: Readonly<Record<string, string>> = {}, deploy: DeployOptions = {}) => {
      for (const rule of bus.rules()) bus.removeRule(rule.name);
      stopEventSources();
      await Promise.all(Object.values(lambdas).map((lambda) => lambda.stop()));
      for (const key of Object.keys(lambdas)) delete lambdas[key];
      for (const fn of functions) {
        const code = resolveCode(fn, rootDir, options.code ?? { kind: 'source' }, () => {
          const dir = makeUnpackDir();
          unpackDirs.push(dir);
          return dir;
        });
        const lambda = new LocalLambda({
          functionKey: fn.key,
          functionName: fn.functionName,
          modulePath: code.modulePath,
          cwd: code.cwd,
          environment: { ...fn.environment, ...env, ...configuration },
          timeoutSeconds: fn.timeoutSeconds,
          memorySizeMb: fn.memorySizeMb,
          maximumRetryAttempts: fn.maximumRetryAttempts,
          reservedConcurrency: concurrencyOf(fn),
          region,
          accountId,
          deadLetters,
          ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
          ...(options.initTimeoutMs !== undefined ? { initTimeoutMs: options.initTimeoutMs } : {}),
          ...(fn.onFailureDestination !== undefined ? { onFailureDestination: fn.onFailureDestination } : {}),
          ...(options.logSink ? { logSink: options.logSink } : {}),
          ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
        });
        lambdas[fn.key] = lambda;
        for (const source of fn.queueSources) {
          const queue = queues[source.queueLogicalId];
          if (queue === undefined)
            throw new Error(`${fn.key}: its sqs event names ${source.queueLogicalId}, which is not an AWS::SQS::Queue of ${stack.file}`);
          eventSources[source.queueLogicalId] = new QueueEventSource({
            queue,
            target: lambda,
            functionKey: fn.key,
            batchSize: source.batchSize,
            maximumBatchingWindowSeconds: source.maximumBatchingWindowSeconds,
            reportBatchItemFailures: source.reportBatchItemFailures,
            ...(source.maximumConcurrency !== undefined ? { maximumConcurrency: source.maximumConcurrency } : {}),
            enabled: source.enabled,
            timeScale,
            ...(options.onBatch ? { onBatch: options.onBatch } : {}),
          });
        }
        for (const rule of fn.rules) {
          const target = rule.queueLogicalId === undefined ? lambda : queues[rule.queueLogicalId];
          if (target === undefined)
            throw new Error(`${rule.name}: targets ${rule.queueLogicalId ?? '?'}, which is not a queue of this cloud`);
          bus.addRule({ name: rule.name, pattern: rule.pattern, target, eventBusName: rule.eventBusName, enabled: rule.enabled });
        }
      }
      if (deploy.prewarm) {
        const results = await Promise.allSettled(Object.values(lambdas).map((lambda) => lambda.prewarm(deploy.prewarm ?? 0)));
        const failures = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
        if (failures.length > 0) throw new Error(`deployFunctions: ${failures.join('; ')}`);
      }
      return lambdas;
    };

    const runSchedule = (functionKey: string): Promise<AsyncInvokeOutcome> => {
      const schedule = stack.schedules.find((candidate) => candidate.functionKey === functionKey);
      const lambda = lambdas[functionKey];
      if (!schedule) throw new Error(`${functionKey} has no schedule in ${stack.file}`);
      if (!lambda) throw new Error(`${functionKey} is not deployed: call deployFunctions() first`);
      return lambda.invokeAsync(schedule.input ?? scheduledEvent(schedule.name, region, accountId));
    };

    const settle = (timeoutMs = 30_000): Promise<boolean> => settleCloud({ simulator, bus, lambdas, queues, eventSources }, timeoutMs);

    const cloud: LocalCloud = {
      stack,
      region,
      accountId,
      simulator,
      bus,
      lambdas,
      queues,
      eventSources,
      deadLetters,
      dynamodbEndpoint: dynamo.endpoint,
      ec2Endpoint: simulator?.url,
      eventBridgeEndpoint,
      tableName,
      eventBusName,
      droppedTableProperties: table.dropped,
      env,
      deployFunctions,
      runSchedule,
      settle,
      stop: stopAll,
    };
    if (options.deploy) await deployFunctions(options.deploy);
    return cloud;
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
