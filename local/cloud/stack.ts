/**
 * Reads serverless.yml into what the local cloud needs: the ledger table, the functions with their handlers,
 * event rules (patterns with variables resolved) whether they target a function (`events: - eventBridge`) or a
 * queue (an AWS::Events::Rule resource whose target is Fn::GetAtt [Queue, Arn]), the queues and the functions'
 * SQS event source mappings, schedules, retry settings and environment.
 * Only plain YAML with long-form intrinsics is supported (the stack's contract): CloudFormation references
 * (Ref, Fn::GetAtt, ...) cannot be resolved locally and are reported in `unresolved` for the caller to override.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type EventPattern, validatePattern } from '@vpc-mirror-orchestrator/local-lambda';
import { parse } from 'yaml';
import {
  type ReadStackOptions,
  type Stack,
  StackError,
  type StackFunction,
  type StackQueue,
  type StackQueueSource,
  type StackRule,
  type StackSchedule,
} from './stack-model';
import { collectParams, stageOf, VariableResolver } from './variables';
import { asRecord, numberOr } from './yaml-values';

export * from './stack-model';

const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 6;
const LAMBDA_DEFAULT_MEMORY_MB = 1024;
const LAMBDA_DEFAULT_ASYNC_RETRIES = 2;
const SQS_DEFAULT_BATCH_SIZE = 10;

export function readStack(serverlessYmlPath: string, options: ReadStackOptions = {}): Stack {
  const file = path.resolve(serverlessYmlPath);
  let document: Record<string, unknown>;
  try {
    document = asRecord(parse(readFileSync(file, 'utf8')), 'serverless.yml');
  } catch (error) {
    throw new StackError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const unresolved: string[] = [];
  const rawProvider = asRecord(document['provider'] ?? {}, 'provider');
  const service = String(document['service'] ?? '');
  if (!service) throw new StackError(`${file}: service is missing`);
  const stage = options.stage ?? stageOf(rawProvider['stage']);
  const params = collectParams(document, stage, options.params ?? {});
  const resolver = new VariableResolver(document, { service, stage, params });

  const provider = asRecord(resolver.resolve(rawProvider, 'provider'), 'provider');
  const region = typeof provider['region'] === 'string' ? provider['region'] : 'us-east-1';
  const providerEnvironment = environmentOf(provider['environment'], 'provider.environment', unresolved);

  const resources = asRecord(asRecord(document['resources'] ?? {}, 'resources')['Resources'] ?? {}, 'resources.Resources');
  const resource = (logicalId: string) => asRecord(resolver.resolve(resources[logicalId], `resources.Resources.${logicalId}`), logicalId);
  const logicalIdsOfType = (type: string) =>
    Object.entries(resources)
      .filter(([, raw]) => raw !== null && typeof raw === 'object' && (raw as Record<string, unknown>)['Type'] === type)
      .map(([logicalId]) => logicalId);
  const allQueues = logicalIdsOfType('AWS::SQS::Queue').map((logicalId) => readQueue(logicalId, resource(logicalId), service, stage));
  const deadLetterTargets = new Set(
    allQueues.flatMap((queue) => (queue.deadLetterTarget ? [referencedId(JSON.parse(queue.deadLetterTarget))] : [])),
  );
  const queues = allQueues.filter((queue) => !deadLetterTargets.has(queue.logicalId));

  const rawFunctions = asRecord(document['functions'] ?? {}, 'functions');
  const partialFunctions = Object.entries(rawFunctions).map(([key, raw]) =>
    readFunction(key, asRecord(resolver.resolve(raw, `functions.${key}`), `functions.${key}`), {
      service,
      stage,
      provider,
      providerEnvironment,
      unresolved,
    }),
  );

  const consumerOf = (queueLogicalId: string) =>
    partialFunctions.find((fn) => fn.queueSources.some((source) => source.queueLogicalId === queueLogicalId));
  const queueRules = logicalIdsOfType('AWS::Events::Rule').flatMap((logicalId) =>
    readQueueRules(logicalId, resource(logicalId), consumerOf),
  );
  const functions = partialFunctions.map((fn) => ({
    ...fn,
    rules: [...fn.rules, ...queueRules.filter((rule) => rule.functionKey === fn.key)],
  }));

  const ledger = resources['LedgerTable'];
  if (ledger === undefined) throw new StackError(`${file}: resources.Resources.LedgerTable is missing`);
  const ledgerTable = asRecord(
    resolver.resolve(asRecord(asRecord(ledger, 'LedgerTable')['Properties'] ?? {}, 'LedgerTable.Properties'), 'LedgerTable.Properties'),
    'LedgerTable.Properties',
  );

  return {
    file,
    service,
    stage,
    region,
    functions,
    rules: functions.flatMap((fn) => fn.rules),
    schedules: functions.flatMap((fn) => fn.schedules),
    queues,
    ledgerTable,
    unresolved,
  };
}

interface FunctionContext {
  readonly service: string;
  readonly stage: string;
  readonly provider: Record<string, unknown>;
  readonly providerEnvironment: Record<string, string>;
  readonly unresolved: string[];
}

function readFunction(key: string, raw: Record<string, unknown>, context: FunctionContext): StackFunction {
  const handler = raw['handler'];
  if (typeof handler !== 'string' || !handler.includes('.')) {
    throw new StackError(`functions.${key}.handler must look like path/to/module.export, got ${JSON.stringify(handler)}`);
  }
  const dot = handler.lastIndexOf('.');
  const destinations = raw['destinations'] === undefined ? {} : asRecord(raw['destinations'], `functions.${key}.destinations`);
  const events = Array.isArray(raw['events']) ? (raw['events'] as unknown[]) : [];
  const rules: StackRule[] = [];
  const schedules: StackSchedule[] = [];
  const queueSources: StackQueueSource[] = [];
  events.forEach((entry, index) => {
    const event = asRecord(entry, `functions.${key}.events[${index}]`);
    if (event['eventBridge'] !== undefined)
      rules.push(readRule(key, index, asRecord(event['eventBridge'], `functions.${key}.events[${index}].eventBridge`)));
    if (event['schedule'] !== undefined) schedules.push(readSchedule(key, index, event['schedule']));
    if (event['sqs'] !== undefined) queueSources.push(readQueueSource(event['sqs'], `functions.${key}.events[${index}].sqs`));
  });
  return {
    key,
    functionName: typeof raw['name'] === 'string' ? raw['name'] : `${context.service}-${context.stage}-${key}`,
    handler,
    modulePath: handler.slice(0, dot),
    exportName: handler.slice(dot + 1),
    timeoutSeconds: numberOr(raw['timeout'], numberOr(context.provider['timeout'], LAMBDA_DEFAULT_TIMEOUT_SECONDS)),
    memorySizeMb: numberOr(raw['memorySize'], numberOr(context.provider['memorySize'], LAMBDA_DEFAULT_MEMORY_MB)),
    maximumRetryAttempts: numberOr(raw['maximumRetryAttempts'], LAMBDA_DEFAULT_ASYNC_RETRIES),
    reservedConcurrency: typeof raw['reservedConcurrency'] === 'number' ? raw['reservedConcurrency'] : undefined,
    onFailureDestination: destinationOf(destinations['onFailure']),
    environment: {
      ...context.providerEnvironment,
      ...environmentOf(raw['environment'], `functions.${key}.environment`, context.unresolved),
    },
    rules,
    schedules,
    queueSources,
  };
}

function readQueueSource(raw: unknown, where: string): StackQueueSource {
  const spec = typeof raw === 'string' ? { arn: raw } : asRecord(raw, where);
  const queueLogicalId = referencedId(spec['arn']);
  if (queueLogicalId === undefined) {
    throw new StackError(
      `${where}.arn must be Fn::GetAtt [<queue logical id>, Arn] of a queue in this stack, got ${JSON.stringify(spec['arn'])}`,
    );
  }
  return {
    queueLogicalId,
    batchSize: numberOr(spec['batchSize'], SQS_DEFAULT_BATCH_SIZE),
    maximumBatchingWindowSeconds: numberOr(spec['maximumBatchingWindow'], 0),
    reportBatchItemFailures: spec['functionResponseType'] === 'ReportBatchItemFailures',
    maximumConcurrency: spec['maximumConcurrency'] === undefined ? undefined : numberOr(spec['maximumConcurrency'], 1000),
    enabled: spec['enabled'] === undefined ? true : spec['enabled'] === true || spec['enabled'] === 'true',
  };
}

function readQueue(logicalId: string, raw: Record<string, unknown>, service: string, stage: string): StackQueue {
  const properties = raw['Properties'] === undefined ? {} : asRecord(raw['Properties'], `${logicalId}.Properties`);
  const redrive =
    properties['RedrivePolicy'] === undefined ? undefined : asRecord(properties['RedrivePolicy'], `${logicalId}.Properties.RedrivePolicy`);
  const target = redrive?.['deadLetterTargetArn'];
  return {
    logicalId,
    name: typeof properties['QueueName'] === 'string' ? properties['QueueName'] : `${service}-${stage}-${logicalId}`,
    visibilityTimeoutSeconds: properties['VisibilityTimeout'] === undefined ? undefined : numberOr(properties['VisibilityTimeout'], 30),
    maxReceiveCount: redrive?.['maxReceiveCount'] === undefined ? undefined : numberOr(redrive['maxReceiveCount'], 10),
    deadLetterTarget: target === undefined ? undefined : JSON.stringify(target),
  };
}

/** An AWS::Events::Rule resource with an EventPattern: one StackRule per target that is a queue some function consumes. */
function readQueueRules(
  logicalId: string,
  raw: Record<string, unknown>,
  consumerOf: (queueLogicalId: string) => { key: string } | undefined,
): StackRule[] {
  const properties = raw['Properties'] === undefined ? {} : asRecord(raw['Properties'], `${logicalId}.Properties`);
  const pattern = properties['EventPattern'];
  if (pattern === undefined) return [];
  try {
    validatePattern(pattern);
  } catch (error) {
    throw new StackError(`resources.Resources.${logicalId}.Properties.EventPattern: ${(error as Error).message}`);
  }
  const targets = Array.isArray(properties['Targets']) ? (properties['Targets'] as unknown[]) : [];
  const bus = properties['EventBusName'];
  const name = typeof properties['Name'] === 'string' ? properties['Name'] : logicalId;
  return targets.flatMap((target, index) => {
    const queueLogicalId = referencedId(asRecord(target, `${logicalId}.Properties.Targets[${index}]`)['Arn']);
    const consumer = queueLogicalId === undefined ? undefined : consumerOf(queueLogicalId);
    if (queueLogicalId === undefined || consumer === undefined) return [];
    return [
      {
        name: targets.length > 1 ? `${name}-${index + 1}` : name,
        functionKey: consumer.key,
        pattern: pattern as EventPattern,
        eventBusName: typeof bus === 'string' ? busNameOf(bus) : undefined,
        enabled: properties['State'] === undefined || properties['State'] === 'ENABLED',
        queueLogicalId,
      },
    ];
  });
}

/** { Fn::GetAtt: [X, Arn] } or { Ref: X } -> X */
function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record['Ref'] === 'string') return record['Ref'];
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function readRule(functionKey: string, index: number, raw: Record<string, unknown>): StackRule {
  const pattern = raw['pattern'];
  try {
    validatePattern(pattern);
  } catch (error) {
    throw new StackError(`functions.${functionKey}.events[${index}].eventBridge.pattern: ${(error as Error).message}`);
  }
  const bus = raw['eventBus'];
  return {
    name: `${functionKey}-rule-${index + 1}`,
    functionKey,
    pattern,
    eventBusName: typeof bus === 'string' ? busNameOf(bus) : undefined,
    enabled: raw['enabled'] === undefined ? true : raw['enabled'] === true || raw['enabled'] === 'true',
  };
}

function readSchedule(functionKey: string, index: number, raw: unknown): StackSchedule {
  const spec = typeof raw === 'string' ? { rate: raw } : asRecord(raw, `functions.${functionKey}.events[${index}].schedule`);
  const rate = spec['rate'];
  const expression = Array.isArray(rate) ? String(rate[0]) : String(rate);
  return {
    name: `${functionKey}-schedule-${index + 1}`,
    functionKey,
    expression,
    rateMs: rateToMs(expression),
    enabled: spec['enabled'] === undefined ? true : spec['enabled'] === true || spec['enabled'] === 'true',
    input: spec['input'],
  };
}

/** rate(5 minutes) -> 300000; cron expressions -> undefined (fire them by hand locally). */
export function rateToMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]?.startsWith('minute') ? 60_000 : match[2]?.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(match[1]) * unit;
}

function busNameOf(bus: string): string {
  const marker = ':event-bus/';
  return bus.includes(marker) ? bus.slice(bus.indexOf(marker) + marker.length) : bus;
}

function destinationOf(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return raw;
  const record = asRecord(raw, 'destinations.onFailure');
  const arn = record['arn'];
  if (typeof arn === 'string') return arn;
  return JSON.stringify(arn ?? record);
}

function environmentOf(raw: unknown, where: string, unresolved: string[]): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(asRecord(raw, where))) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      result[name] = String(value);
    } else {
      unresolved.push(`${where}.${name}`);
    }
  }
  return result;
}
