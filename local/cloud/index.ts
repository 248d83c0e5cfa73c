/**
 * startLocalCloud(): the stack from serverless.yml, on loopback. dynalite with the ledger table, the EC2 simulator
 * forwarding its events to the local EventBridge bus, and (once the caller supplies configuration) one LocalLambda
 * per function behind the stack's own rules. The caller gets the endpoints, the env a process needs to talk to
 * this cloud, and stop().
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startSimulator, type Simulator, type SimulatorOptions } from '@vpc-mirror-orchestrator/ec2-sim';
import { DeadLetterQueue, redrivenLetter, redrivenMessage } from '../lambda/dead-letters';
import { DEFAULT_BUS, LocalEventBus, type BusChaos, type EventEnvelope } from '../lambda/event-bus';
import { matchesPattern } from '../lambda/event-pattern';
import { LocalQueue } from '../lambda/local-queue';
import { QueueEventSource, type BatchReport } from '../lambda/queue-event-source';
import { LocalLambda, type AsyncInvokeOutcome, type InvocationReport, type LambdaLogLine } from '../lambda/runtime';
import { makeUnpackDir, resolveCode, type CodeSource } from './artifacts';
import { createTable, planTable, startDynalite } from './ledger-table';
import { readStack, type Stack, type StackFunction } from './stack';

export { readStack } from './stack';
export type { Stack, StackFunction, StackQueue, StackQueueSource, StackRule, StackSchedule } from './stack';
export { LocalLambda } from '../lambda/runtime';
export type { AsyncInvokeOutcome, InvocationReport, InvokeResult, LambdaLogLine, LambdaStats } from '../lambda/runtime';
export { LocalEventBus } from '../lambda/event-bus';
export type { BusChaos, BusStats, EventEnvelope, ReceivedEvent } from '../lambda/event-bus';
export { DeadLetterQueue } from '../lambda/dead-letters';
export type { DeadLetter, OnFailureRecord, RedrivenMessage } from '../lambda/dead-letters';
export { LocalQueue } from '../lambda/local-queue';
export type { QueueMessage, QueueStats } from '../lambda/local-queue';
export { QueueEventSource } from '../lambda/queue-event-source';
export type { BatchReport, EventSourceStats } from '../lambda/queue-event-source';

export interface DeployOptions {
  /**
   * Start this many containers per function before returning (bounded by each function's concurrency), so a
   * configuration the handlers refuse at module load fails here, naming the function and the variable, instead
   * of on the first event. Default 0: containers start on demand, as in Lambda.
   */
  readonly prewarm?: number;
}

export interface LocalCloudOptions {
  /** Repo root: handlers resolve from here. Default: two levels above this file. */
  readonly rootDir?: string;
  /** Default <rootDir>/serverless.yml. */
  readonly serverlessYml?: string;
  readonly stage?: string;
  /** Overrides for ${param:NAME} in serverless.yml. */
  readonly params?: Readonly<Record<string, string>>;
  /** Default: the stack's provider.region. */
  readonly region?: string;
  /** Default 111122223333. */
  readonly accountId?: string;
  /** Default <service>-<stage>-ledger. */
  readonly tableName?: string;
  /** Passed to startSimulator (region, accountId and the bus wiring are filled in); false: no simulator. */
  readonly simulator?: Omit<SimulatorOptions, 'eventBridgeEndpoint'> | false;
  /** Chaos hooks on the bus (drop, duplicate, delay), seeded. */
  readonly chaos?: BusChaos;
  /** The repo's TypeScript (default) or `sls package` output. */
  readonly code?: CodeSource;
  /** Only these functions (keys in serverless.yml); default all. */
  readonly functions?: readonly string[];
  /** Per-function reserved concurrency; default the stack's reservedConcurrency, else 4. */
  readonly reservedConcurrency?: number | Readonly<Record<string, number>>;
  /** Scales Lambda's async retry delays (1 min, 2 min), queue visibility timeouts and batching windows. Default 0.001. */
  readonly timeScale?: number;
  /** Bound on a container's module load. Default 30 s. */
  readonly initTimeoutMs?: number;
  readonly logSink?: (line: LambdaLogLine) => void;
  readonly onInvocation?: (report: InvocationReport) => void;
  /** One report per batch an event source mapping delivered: records, the ones that stay on the queue, errors. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Deploy at once with this configuration (else call deployFunctions later). */
  readonly deploy?: Readonly<Record<string, string>>;
}

export interface LocalCloud {
  readonly stack: Stack;
  readonly region: string;
  readonly accountId: string;
  readonly simulator: Simulator | undefined;
  readonly bus: LocalEventBus;
  /** Filled by deployFunctions(), keyed by function key (instanceEvents, cloudtrailTags, sweep). */
  readonly lambdas: Readonly<Record<string, LocalLambda>>;
  /** The event queues (rule -> queue -> function), by logical id (InstanceEventsQueue). */
  readonly queues: Readonly<Record<string, LocalQueue>>;
  /** The SQS event source mappings, by queue logical id (a function may consume several queues); filled by deployFunctions(). */
  readonly eventSources: Readonly<Record<string, QueueEventSource>>;
  readonly deadLetters: DeadLetterQueue;
  readonly dynamodbEndpoint: string;
  readonly ec2Endpoint: string | undefined;
  readonly eventBridgeEndpoint: string;
  readonly tableName: string;
  readonly eventBusName: string;
  /** LedgerTable properties dynalite cannot honour and that were left out (TTL, PITR, SSE...). */
  readonly droppedTableProperties: readonly string[];
  /** What a process (CLI, test, bench) needs to talk to this cloud with the real SDK. */
  readonly env: Readonly<Record<string, string>>;
  /** Starts (or restarts, with new configuration) the functions and attaches the stack's rules to them. */
  deployFunctions(configuration?: Readonly<Record<string, string>>, deploy?: DeployOptions): Promise<Readonly<Record<string, LocalLambda>>>;
  /** Sends the schedule's event (Scheduled Event, or its configured input) to its function, as EventBridge would. */
  runSchedule(functionKey: string): Promise<AsyncInvokeOutcome>;
  /**
   * Waits until the simulator, the bus, every queue (empty: nothing visible, nothing waiting for a retry), every
   * event source mapping and every function are quiet (twice in a row); false on timeout.
   */
  settle(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

const DEFAULT_ACCOUNT = '111122223333';
const DEFAULT_CONCURRENCY = 4;
const STOP_STEP_TIMEOUT_MS = 10_000;

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
  const stoppers: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    const failures: string[] = [];
    for (const { name, stop } of stoppers.splice(0).reverse()) {
      try {
        await withTimeout(stop(), STOP_STEP_TIMEOUT_MS, `stopping ${name}`);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`local cloud did not stop cleanly: ${failures.join('; ')}`);
  };

  try {
    const dynamo = await startDynalite();
    stoppers.push({ name: 'dynalite', stop: dynamo.stop });
    const table = planTable(stack.ledgerTable, tableName);
    await createTable(dynamo.endpoint, region, table);

    const bus = new LocalEventBus({ region, accountId, ...(options.chaos ? { chaos: options.chaos } : {}) });
    const eventBridgeEndpoint = await bus.listen();
    stoppers.push({ name: 'event bus', stop: () => bus.stop() });

    let simulator: Simulator | undefined;
    if (options.simulator !== false) {
      const wantsCloudTrail = stack.rules.some(
        (rule) => rule.enabled && functions.some((fn) => fn.key === rule.functionKey) && matchesPattern(rule.pattern, cloudTrailProbe()),
      );
      simulator = await startSimulator({
        cloudTrailEvents: wantsCloudTrail,
        ...(options.simulator ?? {}),
        region,
        accountId,
        eventBridgeEndpoint,
        eventBusName: DEFAULT_BUS,
      });
      const started = simulator;
      stoppers.push({ name: 'EC2 simulator', stop: () => started.stop() });
    }

    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeEndpoint,
      ...(simulator ? { AWS_ENDPOINT_URL_EC2: simulator.url } : {}),
      LEDGER_TABLE_NAME: tableName,
      EVENT_BUS_NAME: eventBusName,
    };

    const timeScale = options.timeScale ?? 0.001;
    const queues: Record<string, LocalQueue> = {};
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
          const functionArn = lambdas[consumer.key]?.functionArn ?? `arn:aws:lambda:${region}:${accountId}:function:${consumer.functionName}`;
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
          if (queue === undefined) throw new Error(`${fn.key}: its sqs event names ${source.queueLogicalId}, which is not an AWS::SQS::Queue of ${stack.file}`);
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
          if (target === undefined) throw new Error(`${rule.name}: targets ${rule.queueLogicalId ?? '?'}, which is not a queue of this cloud`);
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

    const settle = async (timeoutMs = 30_000): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      let quietRounds = 0;
      let lastFingerprint = '';
      while (Date.now() < deadline) {
        const remaining = () => Math.max(1, deadline - Date.now());
        if (simulator) await withTimeout(simulator.settle(), remaining(), 'simulator settle').catch(() => undefined);
        await bus.drain(remaining());
        for (const lambda of Object.values(lambdas)) await lambda.drain(remaining());
        const fingerprint = JSON.stringify([
          bus.stats().received,
          ...Object.values(lambdas).map((lambda) => lambda.stats().invocations),
          ...Object.values(queues).map((queue) => queue.stats().sent),
        ]);
        const busy =
          bus.stats().pending > 0 ||
          Object.values(lambdas).some((lambda) => lambda.stats().inFlight > 0) ||
          Object.values(eventSources).some((source) => source.busy());
        quietRounds = !busy && fingerprint === lastFingerprint ? quietRounds + 1 : 0;
        lastFingerprint = fingerprint;
        if (quietRounds >= 2) return true;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return false;
    };

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

/** What EventBridge delivers for a schedule rule. */
export function scheduledEvent(ruleName: string, region: string, accountId: string): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/${ruleName}`],
    detail: {},
  };
}

function cloudTrailProbe(): EventEnvelope {
  return {
    version: '0',
    id: 'probe',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: DEFAULT_ACCOUNT,
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags' },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
