/**
 * The security and operability properties the packaged CloudFormation template must keep. Each check reads the
 * raw template (intrinsics as written) and returns its violations, one readable line each; [] means it holds.
 * Pure functions, so the tests can also prove each one fails on a mutated template.
 */
import { resolveIntrinsics } from './template-placeholders';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const OWNER_TAG_KEY = 'vpc-mirror-orchestrator:owner';

type Entry = [logicalId: string, resource: CfnResource];

export function resourcesOfType(template: CfnTemplate, type: string): Entry[] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function props(resource: CfnResource | undefined): Record<string, unknown> {
  return resource?.Properties ?? {};
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** { Fn::GetAtt: [X, Attr] } or { Ref: X } -> X */
function referencedLogicalId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record['Ref'] === 'string') return record['Ref'];
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

function environmentOf(fn: CfnResource): Record<string, unknown> {
  const environment = props(fn)['Environment'] as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

/**
 * Statements of a role's inline policies. A statement granted only under a condition (`Fn::If: [condition,
 * statement, Ref AWS::NoValue]`) is evaluated with `template`'s conditions (parameter defaults) when given, and
 * counted as granted otherwise: a least-privilege check then sees everything the role may ever be granted.
 */
export function roleStatements(role: CfnResource | undefined, template?: CfnTemplate): PolicyStatement[] {
  const policies = asList(props(role)['Policies'] as Array<{ PolicyDocument?: { Statement?: PolicyStatement | PolicyStatement[] } }>);
  return policies.flatMap((policy) =>
    asList(policy.PolicyDocument?.Statement).flatMap((statement) => {
      const conditional = (statement as { 'Fn::If'?: [string, PolicyStatement, unknown] })['Fn::If'];
      if (conditional === undefined) return [statement];
      if (template === undefined) return [conditional[1]];
      const resolved = resolveIntrinsics(statement, template, `statement under ${conditional[0]}`) as PolicyStatement | undefined;
      return resolved === undefined ? [] : [resolved];
    }),
  );
}

/** Every identity-policy statement in the template: role inline policies, IAM::Policy, IAM::ManagedPolicy. */
function allIdentityStatements(template: CfnTemplate): Array<[where: string, statement: PolicyStatement]> {
  const result: Array<[string, PolicyStatement]> = [];
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const [index, statement] of roleStatements(role).entries()) result.push([`${id}.Statement[${index}]`, statement]);
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of resourcesOfType(template, type)) {
      const document = props(policy)['PolicyDocument'] as { Statement?: PolicyStatement | PolicyStatement[] } | undefined;
      for (const [index, statement] of asList(document?.Statement).entries()) result.push([`${id}.Statement[${index}]`, statement]);
    }
  }
  return result;
}

function actionsOf(statement: PolicyStatement): string[] {
  return asList(statement.Action);
}

function functionRoleId(fn: CfnResource): string | undefined {
  return referencedLogicalId(props(fn)['Role']);
}

export function checkRuntime(template: CfnTemplate): string[] {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  if (functions.length === 0) return ['no AWS::Lambda::Function in the template'];
  return functions.flatMap(([id, fn]) => {
    const problems: string[] = [];
    if (props(fn)['Runtime'] !== 'nodejs24.x') problems.push(`${id}: Runtime is ${String(props(fn)['Runtime'])}, want nodejs24.x`);
    if (JSON.stringify(props(fn)['Architectures']) !== JSON.stringify(['arm64'])) {
      problems.push(`${id}: Architectures is ${JSON.stringify(props(fn)['Architectures'])}, want ["arm64"]`);
    }
    return problems;
  });
}

export function checkRolePerFunction(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const roleId = functionRoleId(fn);
    if (roleId === undefined || template.Resources[roleId]?.Type !== 'AWS::IAM::Role') {
      problems.push(`${id}: Role must be Fn::GetAtt of an AWS::IAM::Role in this stack, got ${JSON.stringify(props(fn)['Role'])}`);
      continue;
    }
    const sharedWith = owners.get(roleId);
    if (sharedWith !== undefined) problems.push(`${id}: shares role ${roleId} with ${sharedWith}`);
    owners.set(roleId, id);
  }
  return problems;
}

const DESCRIBE_ONLY = /^ec2:Describe[A-Za-z]+$/;

export function checkNoWildcardActions(template: CfnTemplate): string[] {
  return allIdentityStatements(template).flatMap(([where, statement]) => {
    if (statement.Effect !== 'Allow') return [];
    const problems: string[] = [];
    if (statement.NotAction !== undefined || statement.NotResource !== undefined)
      problems.push(`${where}: NotAction/NotResource grants too much`);
    for (const action of actionsOf(statement)) {
      if (action === '*' || action.endsWith(':*') || action.endsWith('*')) problems.push(`${where}: wildcard action ${action}`);
    }
    const resources = asList(statement.Resource);
    if (resources.includes('*')) {
      const broad = actionsOf(statement).filter((action) => !DESCRIBE_ONLY.test(action));
      if (broad.length > 0) problems.push(`${where}: Resource '*' for ${broad.join(', ')} (only ec2:Describe* may)`);
    }
    return problems;
  });
}

function functionsUsingRole(template: CfnTemplate, roleId: string): CfnResource[] {
  return resourcesOfType(template, 'AWS::Lambda::Function')
    .filter(([, fn]) => functionRoleId(fn) === roleId)
    .map(([, fn]) => fn);
}

function conditionValue(statement: PolicyStatement, operator: string, key: string): unknown {
  return statement.Condition?.[operator]?.[key];
}

/** An ARN as written: a string, or the template of an Fn::Sub. */
/** An ARN as written: a string, a Fn::Sub text, or a Fn::Join of parts (an intrinsic part shown as ${...}). */
function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const record = resource as Record<string, unknown> | null;
  const sub = record?.['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  const join = record?.['Fn::Join'];
  if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
    return join[1].map((part: unknown) => (typeof part === 'string' ? part : '${...}')).join('');
  }
  return '';
}

function resourceText(statement: PolicyStatement): string {
  return JSON.stringify(statement.Resource ?? null);
}

/**
 * Sessions are only deleted when they carry our owner tag, created only with it, and tags are only written as part
 * of creating a session. The owner id is the one the function itself is configured with.
 */
export function checkSessionOwnership(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [roleId, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const ownerIds = new Set(functionsUsingRole(template, roleId).map((fn) => environmentOf(fn)['MIRROR_OWNER_ID']));
    if (ownerIds.size !== 1) {
      if (roleStatements(role).some((statement) => actionsOf(statement).some((action) => action.startsWith('ec2:')))) {
        problems.push(`${roleId}: cannot tell the owner id (functions using it: ${ownerIds.size})`);
      }
      continue;
    }
    const [ownerId] = [...ownerIds];
    if (typeof ownerId !== 'string' || ownerId === '') {
      problems.push(`${roleId}: its function has no MIRROR_OWNER_ID`);
      continue;
    }
    roleStatements(role).forEach((statement, index) => {
      if (statement.Effect !== 'Allow') return;
      const where = `${roleId}.Statement[${index}]`;
      const actions = actionsOf(statement);
      if (actions.includes('ec2:DeleteTrafficMirrorSession')) {
        if (conditionValue(statement, 'StringEquals', `aws:ResourceTag/${OWNER_TAG_KEY}`) !== ownerId) {
          problems.push(`${where}: ec2:DeleteTrafficMirrorSession without StringEquals aws:ResourceTag/${OWNER_TAG_KEY} = ${ownerId}`);
        }
      }
      if (actions.includes('ec2:CreateTrafficMirrorSession') && resourceText(statement).includes('traffic-mirror-session/')) {
        if (conditionValue(statement, 'StringEquals', `aws:RequestTag/${OWNER_TAG_KEY}`) !== ownerId) {
          problems.push(`${where}: creating sessions without StringEquals aws:RequestTag/${OWNER_TAG_KEY} = ${ownerId}`);
        }
      }
      if (actions.includes('ec2:CreateTags')) {
        if (conditionValue(statement, 'StringEquals', 'ec2:CreateAction') !== 'CreateTrafficMirrorSession') {
          problems.push(`${where}: ec2:CreateTags without StringEquals ec2:CreateAction = CreateTrafficMirrorSession`);
        }
        if (!asList(statement.Resource).every((resource) => /:traffic-mirror-session\/\*$/.test(arnText(resource)))) {
          problems.push(`${where}: ec2:CreateTags must be limited to traffic-mirror-session/*`);
        }
      }
    });
  }
  return problems;
}

function roleAllows(template: CfnTemplate, fn: CfnResource, action: string, resource: unknown): boolean {
  const want = JSON.stringify(resource);
  return roleStatements(template.Resources[functionRoleId(fn) ?? '']).some(
    (statement) =>
      statement.Effect === 'Allow' &&
      actionsOf(statement).includes(action) &&
      asList(statement.Resource as unknown).some((granted) => JSON.stringify(granted) === want),
  );
}

/** Functions fed by an SQS event source mapping (logical id -> the mapping's logical id). */
function queueFedFunctions(template: CfnTemplate): Map<string, string> {
  return new Map(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').flatMap(([mappingId, mapping]) => {
      const functionId = referencedLogicalId(props(mapping)['FunctionName']);
      return functionId === undefined ? [] : [[functionId, mappingId] as [string, string]];
    }),
  );
}

/**
 * Functions invoked asynchronously (the sweep) send failed invocations to a queue of this stack after a bounded
 * number of retries. Queue-fed functions are invoked synchronously by their event source mapping, where an
 * EventInvokeConfig does nothing: they must not carry one (their queue's redrive policy bounds the retries).
 */
export function checkOnFailureDestinations(template: CfnTemplate, maximumRetryAttempts = 2): string[] {
  const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
  const queueFed = queueFedFunctions(template);
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) => {
    const config = configs.find(([, candidate]) => referencedLogicalId(props(candidate)['FunctionName']) === id)?.[1];
    if (queueFed.has(id))
      return config === undefined ? [] : [`${id}: fed by ${queueFed.get(id) ?? 'a queue'}, its EventInvokeConfig does nothing`];
    if (config === undefined) return [`${id}: no AWS::Lambda::EventInvokeConfig`];
    const problems: string[] = [];
    const destinationConfig = props(config)['DestinationConfig'] as { OnFailure?: { Destination?: unknown } } | undefined;
    const destination = destinationConfig?.OnFailure?.Destination;
    const queueId = referencedLogicalId(destination);
    if (queueId === undefined || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue') {
      problems.push(`${id}: on-failure destination is not an SQS queue of this stack (${JSON.stringify(destination)})`);
    } else if (!roleAllows(template, fn, 'sqs:SendMessage', destination)) {
      problems.push(`${id}: its role may not sqs:SendMessage to ${queueId}`);
    }
    const retries = props(config)['MaximumRetryAttempts'];
    if (typeof retries !== 'number' || retries > maximumRetryAttempts)
      problems.push(`${id}: MaximumRetryAttempts ${String(retries)}, want <= ${maximumRetryAttempts}`);
    if (typeof props(config)['MaximumEventAgeInSeconds'] !== 'number') problems.push(`${id}: MaximumEventAgeInSeconds is not bounded`);
    return problems;
  });
}

export function checkLogGroups(template: CfnTemplate): string[] {
  const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) => {
    const name = `/aws/lambda/${String(props(fn)['FunctionName'])}`;
    const group = groups.find(([, candidate]) => props(candidate)['LogGroupName'] === name);
    if (group === undefined) return [`${id}: no log group ${name} in the stack`];
    const [groupId, resource] = group;
    const problems: string[] = [];
    if (typeof props(resource)['RetentionInDays'] !== 'number') problems.push(`${groupId}: no RetentionInDays`);
    if (!asList(fn.DependsOn).includes(groupId))
      problems.push(`${id}: does not DependsOn ${groupId} (Lambda would create it without retention)`);
    if (!roleAllows(template, fn, 'logs:PutLogEvents', { 'Fn::GetAtt': [groupId, 'Arn'] })) {
      problems.push(`${id}: its role may not logs:PutLogEvents to ${groupId}`);
    }
    return problems;
  });
}

export function checkEnvironment(template: CfnTemplate, expected: Readonly<Record<string, string>>): string[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) =>
    Object.entries(expected)
      .filter(([name, value]) => environmentOf(fn)[name] !== value)
      .map(([name, value]) => `${id}: ${name} is ${JSON.stringify(environmentOf(fn)[name])}, want ${JSON.stringify(value)}`),
  );
}

export function checkLedgerTable(template: CfnTemplate, logicalId = 'LedgerTable'): string[] {
  const table = template.Resources[logicalId];
  if (table?.Type !== 'AWS::DynamoDB::Table') return [`${logicalId}: no AWS::DynamoDB::Table`];
  const p = props(table);
  const problems: string[] = [];
  const expectEqual = (what: string, actual: unknown, want: unknown): void => {
    if (JSON.stringify(actual) !== JSON.stringify(want))
      problems.push(`${logicalId}: ${what} is ${JSON.stringify(actual)}, want ${JSON.stringify(want)}`);
  };
  expectEqual('PointInTimeRecoverySpecification', p['PointInTimeRecoverySpecification'], { PointInTimeRecoveryEnabled: true });
  expectEqual('TimeToLiveSpecification', p['TimeToLiveSpecification'], { AttributeName: 'expiresAt', Enabled: true });
  expectEqual('SSESpecification.SSEEnabled', (p['SSESpecification'] as Record<string, unknown> | undefined)?.['SSEEnabled'], true);
  expectEqual('BillingMode', p['BillingMode'], 'PAY_PER_REQUEST');
  expectEqual('KeySchema', p['KeySchema'], [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  expectEqual('GlobalSecondaryIndexes', p['GlobalSecondaryIndexes'], [
    {
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: 'gsi2',
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['eniId', 'instanceId', 'slots'] },
    },
  ]);
  return problems;
}

export function checkDeadLetterQueue(template: CfnTemplate, logicalId = 'DeadLetterQueue'): string[] {
  const queue = template.Resources[logicalId];
  if (queue?.Type !== 'AWS::SQS::Queue') return [`${logicalId}: no AWS::SQS::Queue`];
  const p = props(queue);
  const problems: string[] = [];
  if (p['SqsManagedSseEnabled'] !== true && p['KmsMasterKeyId'] === undefined) problems.push(`${logicalId}: not encrypted`);
  if (p['MessageRetentionPeriod'] !== 1209600)
    problems.push(`${logicalId}: MessageRetentionPeriod ${String(p['MessageRetentionPeriod'])}, want 1209600 (14 days)`);
  const alarmed = resourcesOfType(template, 'AWS::CloudWatch::Alarm').some(([, alarm]) => {
    const a = props(alarm);
    const dimensions = asList(a['Dimensions'] as Array<{ Name?: string; Value?: unknown }> | undefined);
    return (
      a['Namespace'] === 'AWS/SQS' &&
      a['MetricName'] === 'ApproximateNumberOfMessagesVisible' &&
      a['ComparisonOperator'] === 'GreaterThanThreshold' &&
      a['Threshold'] === 0 &&
      dimensions.some((dimension) => dimension.Name === 'QueueName' && referencedLogicalId(dimension.Value) === logicalId)
    );
  });
  if (!alarmed) problems.push(`${logicalId}: no alarm on ApproximateNumberOfMessagesVisible > 0`);
  return problems;
}

const SDK_PACKAGE_SERVICE: Readonly<Record<string, string>> = {
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-organizations': 'organizations',
};

/** Batch calls IAM authorizes as their single action. */
const BATCH_COMMAND_ACTION: Readonly<Record<string, string>> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
};

/** lib-dynamodb's document commands are named after the items, not the API actions. */
const DOCUMENT_COMMAND_ACTION: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/**
 * The IAM actions a set of TypeScript sources can call: every `XxxCommand` or `paginateXxx` imported from an AWS SDK package,
 * mapped to its action (ec2:CreateTrafficMirrorSession, dynamodb:BatchGetItem, events:PutEvents).
 */
export function iamActionsCalledBy(sources: readonly string[]): string[] {
  const actions = new Set<string>();
  const importPattern = /import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/[a-z0-9-]+)'/g;
  for (const source of sources) {
    for (const [, names = '', sdkPackage = ''] of source.matchAll(importPattern)) {
      const service = SDK_PACKAGE_SERVICE[sdkPackage];
      if (service === undefined) continue;
      for (const raw of names.split(',')) {
        const name =
          raw
            .replace(/^\s*type\s+/, '')
            .split(/\s+as\s+/)[0]
            ?.trim() ?? '';
        // A command (DescribeInstancesCommand) or the SDK's paginator of one (paginateDescribeInstances).
        const match = /^([A-Za-z]+)Command$/.exec(name) ?? /^paginate([A-Z][A-Za-z]+)$/.exec(name);
        const command = match?.[1];
        if (command === undefined) continue;
        const action = sdkPackage === '@aws-sdk/lib-dynamodb' ? (DOCUMENT_COMMAND_ACTION[command] ?? command) : command;
        actions.add(BATCH_COMMAND_ACTION[`${service}:${action}`] ?? `${service}:${action}`);
      }
    }
  }
  return [...actions].sort();
}

/** Actions a role grants, by role. */
export function grantedActions(template: CfnTemplate): Map<string, Set<string>> {
  return new Map(
    resourcesOfType(template, 'AWS::IAM::Role').map(([id, role]) => [
      id,
      new Set(
        roleStatements(role, template)
          .filter((statement) => statement.Effect === 'Allow')
          .flatMap(actionsOf),
      ),
    ]),
  );
}

/**
 * Event rules deliver with a bounded retry policy, and what EventBridge cannot deliver goes to a queue of this stack
 * whose policy lets EventBridge (and only for a source rule) send to it.
 */
export function checkRuleDelivery(template: CfnTemplate): string[] {
  const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) => props(rule)['EventPattern'] !== undefined);
  if (rules.length === 0) return ['no event-pattern rule in the template'];
  return rules.flatMap(([id, rule]) =>
    asList(props(rule)['Targets'] as Array<Record<string, unknown>> | undefined).flatMap((target, index) => {
      const where = `${id}.Targets[${index}]`;
      const problems: string[] = [];
      const retry = target['RetryPolicy'] as Record<string, unknown> | undefined;
      if (typeof retry?.['MaximumRetryAttempts'] !== 'number' || typeof retry['MaximumEventAgeInSeconds'] !== 'number') {
        problems.push(`${where}: no bounded RetryPolicy`);
      }
      const queueId = referencedLogicalId((target['DeadLetterConfig'] as Record<string, unknown> | undefined)?.['Arn']);
      if (queueId === undefined || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue') {
        problems.push(`${where}: no DeadLetterConfig on an SQS queue of this stack`);
      } else if (!eventBridgeMaySendTo(template, queueId)) {
        problems.push(`${where}: no queue policy lets events.amazonaws.com send to ${queueId} (conditioned on aws:SourceArn)`);
      }
      return problems;
    }),
  );
}

function eventBridgeMaySendTo(template: CfnTemplate, queueId: string): boolean {
  return resourcesOfType(template, 'AWS::SQS::QueuePolicy').some(([, policy]) => {
    const queues = asList(props(policy)['Queues'] as unknown[] | undefined);
    if (!queues.some((queue) => referencedLogicalId(queue) === queueId)) return false;
    const document = props(policy)['PolicyDocument'] as { Statement?: PolicyStatement | PolicyStatement[] } | undefined;
    return asList(document?.Statement).some((statement) => {
      const principal = (statement as { Principal?: { Service?: unknown } }).Principal;
      return (
        statement.Effect === 'Allow' &&
        asList(principal?.Service as string | string[] | undefined).includes('events.amazonaws.com') &&
        actionsOf(statement).includes('sqs:SendMessage') &&
        statement.Condition?.['ArnLike']?.['aws:SourceArn'] !== undefined
      );
    });
  });
}

const QUEUE_CONSUMER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/**
 * Each SQS event source mapping: reports batch item failures, batches at most 10, has a concurrency bound; its
 * queue is encrypted, hidden long enough (VisibilityTimeout >= 6 x the function timeout), redrives to an SQS queue
 * of this stack after a bounded number of receives (2..maxReceiveCount), is fed by an event rule that the queue's
 * policy lets send (aws:SourceArn = that rule); the function's role reads that queue and no queue it does not consume.
 */
export function checkEventQueues(template: CfnTemplate, maxReceiveCount = 10): string[] {
  const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
  if (mappings.length === 0) return ['no AWS::Lambda::EventSourceMapping in the template'];
  return mappings.flatMap(([id, mapping]) => {
    const p = props(mapping);
    const problems: string[] = [];
    if (!asList(p['FunctionResponseTypes'] as string[] | undefined).includes('ReportBatchItemFailures')) {
      problems.push(`${id}: FunctionResponseTypes lacks ReportBatchItemFailures (one bad record would fail its batch)`);
    }
    if (typeof p['BatchSize'] !== 'number' || p['BatchSize'] > 10) problems.push(`${id}: BatchSize ${String(p['BatchSize'])}, want <= 10`);
    const concurrency = (p['ScalingConfig'] as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency;
    if (typeof concurrency !== 'number') problems.push(`${id}: no ScalingConfig.MaximumConcurrency (bursts would not be bounded)`);
    const functionId = referencedLogicalId(p['FunctionName']) ?? '';
    const fn = template.Resources[functionId];
    const queueId = referencedLogicalId(p['EventSourceArn']);
    const queue = queueId === undefined ? undefined : template.Resources[queueId];
    if (queueId === undefined || queue?.Type !== 'AWS::SQS::Queue')
      return [...problems, `${id}: EventSourceArn is not an SQS queue of this stack`];
    if (fn?.Type !== 'AWS::Lambda::Function') return [...problems, `${id}: FunctionName is not a function of this stack`];
    const q = props(queue);
    if (q['SqsManagedSseEnabled'] !== true && q['KmsMasterKeyId'] === undefined) problems.push(`${queueId}: not encrypted`);
    const timeout = typeof props(fn)['Timeout'] === 'number' ? (props(fn)['Timeout'] as number) : 3;
    if (typeof q['VisibilityTimeout'] !== 'number' || q['VisibilityTimeout'] < 6 * timeout) {
      problems.push(`${queueId}: VisibilityTimeout ${String(q['VisibilityTimeout'])}, want >= 6 x ${timeout} s (the function timeout)`);
    }
    const redrive = q['RedrivePolicy'] as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
    const deadLetterId = referencedLogicalId(redrive?.deadLetterTargetArn);
    if (deadLetterId === undefined || deadLetterId === queueId || template.Resources[deadLetterId]?.Type !== 'AWS::SQS::Queue') {
      problems.push(`${queueId}: no RedrivePolicy to a dead-letter queue of this stack`);
    }
    const receives = redrive?.maxReceiveCount;
    if (typeof receives !== 'number' || receives < 2 || receives > maxReceiveCount) {
      problems.push(`${queueId}: RedrivePolicy.maxReceiveCount ${String(receives)}, want 2..${maxReceiveCount} (bounded retries)`);
    }
    problems.push(...consumerRoleProblems(template, fn, functionId, queueId));
    problems.push(...queueFeedProblems(template, queueId));
    return problems;
  });
}

/** A queue-fed function's role may send (its deferred records) only to the queues its event source mappings read. */
export function checkOwnQueueSends(template: CfnTemplate): string[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([functionId, fn]) => {
    const consumed = queuesConsumedBy(template, functionId);
    if (consumed.size === 0) return [];
    const roleId = functionRoleId(fn) ?? '';
    return roleStatements(template.Resources[roleId])
      .filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('sqs:SendMessage'))
      .flatMap((statement) =>
        asList(statement.Resource as unknown)
          .filter((resource) => !consumed.has(referencedLogicalId(resource) ?? ''))
          .map((resource) => `${roleId} may send to ${JSON.stringify(resource)}, not a queue ${functionId} consumes`),
      );
  });
}

/** The queues the function's event source mappings read (a function may consume several). */
function queuesConsumedBy(template: CfnTemplate, functionId: string): Set<string> {
  return new Set(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => referencedLogicalId(props(mapping)['FunctionName']) === functionId)
      .flatMap(([, mapping]) => referencedLogicalId(props(mapping)['EventSourceArn']) ?? []),
  );
}

function consumerRoleProblems(template: CfnTemplate, fn: CfnResource, functionId: string, queueId: string): string[] {
  const roleId = functionRoleId(fn) ?? '';
  const problems: string[] = [];
  const statements = roleStatements(template.Resources[roleId]).filter(
    (statement) =>
      statement.Effect === 'Allow' && actionsOf(statement).some((action) => action.startsWith('sqs:') && action !== 'sqs:SendMessage'),
  );
  const onThisQueue = statements.filter((statement) =>
    asList(statement.Resource as unknown).some((resource) => referencedLogicalId(resource) === queueId),
  );
  const granted = new Set(onThisQueue.flatMap(actionsOf));
  for (const action of QUEUE_CONSUMER_ACTIONS)
    if (!granted.has(action)) problems.push(`${functionId}: its role ${roleId} lacks ${action} on ${queueId}`);
  const consumed = queuesConsumedBy(template, functionId);
  for (const statement of statements) {
    const resources = asList(statement.Resource as unknown);
    if (resources.length === 0 || !resources.every((resource) => consumed.has(referencedLogicalId(resource) ?? ''))) {
      problems.push(
        `${roleId}: ${actionsOf(statement).join(', ')} on ${JSON.stringify(statement.Resource)}, want only its own queues ${[...consumed].join(', ')}`,
      );
    }
  }
  return problems;
}

/**
 * Event rules target the queue, and the queue's policy lets EventBridge send for exactly those rules (one rule, or a
 * list of them when several rules feed one queue), no other source.
 */
function queueFeedProblems(template: CfnTemplate, queueId: string): string[] {
  const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
    asList(props(rule)['Targets'] as Array<Record<string, unknown>> | undefined).some(
      (target) => referencedLogicalId(target['Arn']) === queueId,
    ),
  );
  if (rules.length === 0) return [`${queueId}: no event rule targets it`];
  const feeders = new Set(rules.map(([ruleId]) => ruleId));
  return rules.flatMap(([ruleId]) => {
    const allowed = resourcesOfType(template, 'AWS::SQS::QueuePolicy').some(([, policy]) => {
      if (!asList(props(policy)['Queues'] as unknown[] | undefined).some((queue) => referencedLogicalId(queue) === queueId)) return false;
      const document = props(policy)['PolicyDocument'] as { Statement?: PolicyStatement | PolicyStatement[] } | undefined;
      return asList(document?.Statement).some((statement) => {
        const principal = (statement as { Principal?: { Service?: unknown } }).Principal;
        const sources = asList(statement.Condition?.['ArnEquals']?.['aws:SourceArn'] as unknown).map((source) =>
          referencedLogicalId(source),
        );
        return (
          statement.Effect === 'Allow' &&
          asList(principal?.Service as string | string[] | undefined).includes('events.amazonaws.com') &&
          actionsOf(statement).includes('sqs:SendMessage') &&
          sources.includes(ruleId) &&
          sources.every((source) => source !== undefined && feeders.has(source))
        );
      });
    });
    return allowed ? [] : [`${queueId}: no queue policy lets events.amazonaws.com send to it for ${ruleId} (ArnEquals aws:SourceArn)`];
  });
}
