/**
 * The deployable stack: `sls package` runs offline without credentials, every resource of the packaged template is
 * valid against its AWS CloudFormation resource schema, and the security properties hold. Each property check is
 * also shown to fail on a template mutated to break it. The packaged output of `npx sls package` in `.serverless/`
 * is reused when current (tests/support/packaged-stack.ts).
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CLOUDTRAIL_CALLS } from '../../shared/domain/events';
import { CFN_SCHEMAS } from '../support/fixtures-path';
import { checkAlarmShape, checkWindowEndSchedule, dashboardBody, dashboardMetricNames } from '../support/governance-checks';
import {
  checkDocumentRead,
  checkOrganizationBusPolicy,
  checkOrganizationUnitReads,
  checkSessionGrantRegions,
  checkSpokeAssumption,
} from '../support/organization-checks';
import { PACKAGE_HOOK_TIMEOUT_MS, type PackagedStack, packagedStack, packageWithParams, TEMPLATE_FILE } from '../support/packaged-stack';
import {
  type CfnTemplate,
  checkDeadLetterQueue,
  checkEnvironment,
  checkEventQueues,
  checkLedgerTable,
  checkLogGroups,
  checkNoWildcardActions,
  checkOnFailureDestinations,
  checkOwnQueueSends,
  checkRolePerFunction,
  checkRuleDelivery,
  checkRuntime,
  checkSessionOwnership,
  grantedActions,
  iamActionsCalledBy,
  type PolicyStatement,
  resourcesOfType,
  roleStatements,
} from '../support/template-checks';
import { DEFAULT_PLACEHOLDER_CONTEXT, resolveIntrinsics } from '../support/template-placeholders';
import { loadResourceSchemas, type ResourceSchemas } from '../support/template-schemas';

const REPO = path.resolve(__dirname, '../..');
const FUNCTIONS = ['instanceEvents', 'cloudtrailTags', 'sweep', 'windowEnd'] as const;
const REQUIRED_ENVIRONMENT = {
  NODE_OPTIONS: '--enable-source-maps',
  MIRROR_OWNER_ID: 'vpc-mirror-orchestrator-dev',
  POWERTOOLS_SERVICE_NAME: 'vpc-mirror-orchestrator',
};

/** docs/ARCHITECTURE.md, configuration contract (the AWS_ENDPOINT_URL_* overrides are for local runs only). */
const CONTRACT_VARIABLES = [
  'MIRROR_TAG_KEY',
  'MIRROR_TAG_VALUE',
  'MIRROR_TARGET_IDS',
  'MIRROR_FILTER_ID',
  'LEDGER_TABLE_NAME',
  'EVENT_BUS_NAME',
  'MIRROR_OWNER_ID',
  'MIRROR_ENI_SCOPE',
  'MIRROR_SESSION_NUMBER',
  'MIRROR_VNI',
  'MIRROR_PACKET_LENGTH',
  'MIRROR_TARGET_TAG_KEY',
  'MIRROR_FILTER_TAG_KEY',
  'MIRROR_UNTIL_TAG_KEY',
  'MIRROR_ALLOWED_TARGET_IDS',
  'MIRROR_ALLOWED_FILTER_IDS',
  'MIRROR_SUPPORTED_TYPES',
  'MIRROR_UNSUPPORTED_TYPES',
  'MIRROR_STOP_POLICY',
  'HISTORY_TTL_DAYS',
  'MIRROR_ORGANIZATION_PARAMETER',
];

let stack: PackagedStack;
let packageDir: string;
let template: CfnTemplate;
let schemas: ResourceSchemas;

beforeAll(async () => {
  stack = await packagedStack(REPO);
  packageDir = stack.directory;
  template = JSON.parse(readFileSync(path.join(packageDir, TEMPLATE_FILE), 'utf8')) as CfnTemplate;
  schemas = loadResourceSchemas(CFN_SCHEMAS);
}, PACKAGE_HOOK_TIMEOUT_MS);

afterAll(() => stack?.release());

/** The TypeScript sources under these repository folders. */
function sourceFiles(folders: readonly string[]): string[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(REPO, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(path.join(REPO, folder, file), 'utf8')),
  );
}

/** Roles of the functions an SQS event source mapping invokes. */
function queueConsumerRoles(candidate: CfnTemplate): Set<string> {
  return new Set(
    resourcesOfType(candidate, 'AWS::Lambda::EventSourceMapping').flatMap(([, mapping]) => {
      const functionId =
        (mapping.Properties?.['FunctionName'] as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0] ?? '';
      const role = candidate.Resources[functionId]?.Properties?.['Role'] as { 'Fn::GetAtt'?: [string, string] } | undefined;
      return role?.['Fn::GetAtt'] ? [role['Fn::GetAtt'][0]] : [];
    }),
  );
}

/** Each role must grant what the code calls (the Scan only to the sweep), and nothing else. */
function iamCoverageProblems(candidate: CfnTemplate, called: readonly string[]): string[] {
  // Granted without an SDK command of their own: tags on create, the log stream; then either the event source
  // mapping's reads of the function's queue, or the on-failure destination (async invocations only).
  const always = ['ec2:CreateTags', 'logs:CreateLogStream', 'logs:PutLogEvents'];
  // Called without a grant: STS answers GetCallerIdentity for any credentials (the hub asks its own account).
  const needsNoGrant = ['sts:GetCallerIdentity'];
  const consumers = queueConsumerRoles(candidate);
  const sweepOnly = ['dynamodb:Scan'];
  // Only a queue-fed function puts records back on its queue (the hub's deferral).
  const consumersOnly = ['sqs:SendMessage'];
  // Only an organization's hub resolves the OUs of its document.
  const hubOnly = ['organizations:ListChildren', 'organizations:ListAccountsForParent'];
  const hub = resolveIntrinsics({ 'Fn::If': ['IsOrganizationHub', true, false] }, candidate, 'IsOrganizationHub') === true;
  const problems: string[] = [];
  for (const [roleId, granted] of grantedActions(candidate)) {
    // The roles functions run with; the scheduler's own role is checked on its own below.
    if (!JSON.stringify(candidate.Resources[roleId]?.Properties?.['AssumeRolePolicyDocument']).includes('lambda.amazonaws.com')) continue;
    const implicit = [
      ...always,
      ...(consumers.has(roleId) ? ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] : ['sqs:SendMessage']),
    ];
    const needed = (roleId === 'SweepRole' ? called : called.filter((action) => !sweepOnly.includes(action))).filter(
      (action) =>
        !needsNoGrant.includes(action) && (consumers.has(roleId) || !consumersOnly.includes(action)) && (hub || !hubOnly.includes(action)),
    );
    for (const action of needed) if (!granted.has(action)) problems.push(`${roleId} lacks ${action}`);
    for (const action of granted)
      if (!needed.includes(action) && !implicit.includes(action)) problems.push(`${roleId} grants unused ${action}`);
  }
  return problems;
}

function mutated(change: (copy: CfnTemplate) => void): CfnTemplate {
  const copy = structuredClone(template);
  change(copy);
  return copy;
}

function properties(copy: CfnTemplate, logicalId: string): Record<string, unknown> {
  const resource = copy.Resources[logicalId];
  if (resource?.Properties === undefined) throw new Error(`${logicalId} has no Properties`);
  return resource.Properties;
}

function statementWith(copy: CfnTemplate, roleId: string, action: string): PolicyStatement {
  const statement = roleStatements(copy.Resources[roleId]).find((candidate) =>
    ([] as string[]).concat(candidate.Action ?? []).includes(action),
  );
  if (statement === undefined) throw new Error(`${roleId} has no statement with ${action}`);
  return statement;
}

function typesWithoutSchema(candidate: CfnTemplate): string[] {
  const types = new Set(Object.values(candidate.Resources).map((resource) => resource.Type));
  return [...types].filter((type) => !schemas.types.has(type));
}

function schemaProblems(candidate: CfnTemplate): string[] {
  return Object.entries(candidate.Resources).flatMap(([logicalId, resource]) => {
    if (!schemas.types.has(resource.Type)) return [];
    const resolved = resolveIntrinsics(resource.Properties ?? {}, candidate, logicalId);
    return schemas.validate(resource.Type, resolved).map((problem) => `${logicalId} (${resource.Type}) ${problem}`);
  });
}

describe('sls package', () => {
  it('writes the template and one bundle per function, offline and without credentials', () => {
    for (const name of FUNCTIONS) {
      const zip = path.join(packageDir, `${name}.zip`);
      expect(existsSync(zip)).toBe(true);
      expect(statSync(zip).size).toBeGreaterThan(0);
    }
  });
});

describe('the packaged template against the CloudFormation resource schemas', () => {
  it('has a schema for every resource type it uses', () => {
    // A new resource type needs its schema in tests/fixtures/cfn-schemas (see SOURCE.md there).
    expect(typesWithoutSchema(template)).toEqual([]);
    const withNewType = mutated((copy) => (copy.Resources['Extra'] = { Type: 'AWS::EC2::Instance', Properties: {} }));
    expect(typesWithoutSchema(withNewType)).toEqual(['AWS::EC2::Instance']);
  });

  it('validates every resource', () => {
    expect(schemaProblems(template)).toEqual([]);
  });

  it('rejects a resource that breaks its schema', () => {
    const broken = mutated((copy) => {
      properties(copy, 'InstanceEventsLambdaFunction')['Runtime'] = 'nodejs99.x';
      properties(copy, 'LedgerTable')['KeySchema'] = [{ AttributeName: 'pk', KeyType: 'RANGE' }];
      properties(copy, 'DeadLetterQueue')['MessageRetentionPeriod'] = 2_000_000;
      // cfn-lint's extension keywords: Metrics excludes Statistic (dependentExcluded); MetricName xor Metrics.
      properties(copy, 'FunctionErrorsAlarm')['Statistic'] = 'Sum';
      delete properties(copy, 'DeadLetterQueueAlarm')['MetricName'];
    });
    const problems = schemaProblems(broken);
    expect(problems.some((line) => line.startsWith('InstanceEventsLambdaFunction') && line.includes('/Runtime'))).toBe(true);
    expect(problems.some((line) => line.startsWith('LedgerTable') && line.includes('/KeySchema'))).toBe(true);
    expect(problems.some((line) => line.startsWith('DeadLetterQueue') && line.includes('/MessageRetentionPeriod'))).toBe(true);
    expect(problems.some((line) => line.startsWith('FunctionErrorsAlarm') && line.includes('mutually exclusive'))).toBe(true);
    expect(problems.some((line) => line.startsWith('DeadLetterQueueAlarm') && line.includes('exactly one of'))).toBe(true);
  });
});

describe('functions', () => {
  it('run nodejs24.x on arm64', () => {
    expect(resourcesOfType(template, 'AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length);
    expect(checkRuntime(template)).toEqual([]);
    expect(checkRuntime(mutated((copy) => (properties(copy, 'SweepLambdaFunction')['Architectures'] = ['x86_64'])))).toHaveLength(1);
    expect(checkRuntime(mutated((copy) => (properties(copy, 'InstanceEventsLambdaFunction')['Runtime'] = 'nodejs22.x')))).toHaveLength(1);
  });

  it('each have their own role', () => {
    expect(checkRolePerFunction(template)).toEqual([]);
    const shared = mutated((copy) => (properties(copy, 'SweepLambdaFunction')['Role'] = { 'Fn::GetAtt': ['InstanceEventsRole', 'Arn'] }));
    expect(checkRolePerFunction(shared)).toEqual([expect.stringContaining('shares role InstanceEventsRole')]);
  });

  it('enable source maps and carry the owner id and service name', () => {
    expect(checkEnvironment(template, REQUIRED_ENVIRONMENT)).toEqual([]);
    const withoutSourceMaps = mutated((copy) => {
      const environment = properties(copy, 'CloudtrailTagsLambdaFunction')['Environment'] as { Variables: Record<string, unknown> };
      delete environment.Variables['NODE_OPTIONS'];
    });
    expect(checkEnvironment(withoutSourceMaps, REQUIRED_ENVIRONMENT)).toEqual([expect.stringContaining('NODE_OPTIONS')]);
  });

  it('set every variable of the configuration contract', () => {
    const missing = resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([id, fn]) => {
      const variables = (fn.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return CONTRACT_VARIABLES.filter((name) => !(name in variables)).map((name) => `${id}: ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it('send failed sweep invocations to the dead-letter queue after at most 2 retries; queue-fed ones carry no dead async config', () => {
    expect(checkOnFailureDestinations(template)).toEqual([]);
    const moreRetries = mutated((copy) => (properties(copy, 'SweepLambdaEvConf')['MaximumRetryAttempts'] = 3));
    expect(checkOnFailureDestinations(moreRetries)).toEqual([expect.stringContaining('MaximumRetryAttempts 3')]);
    const noDestination = mutated((copy) => delete properties(copy, 'SweepLambdaEvConf')['DestinationConfig']);
    expect(checkOnFailureDestinations(noDestination)).toEqual([expect.stringContaining('SweepLambdaFunction: on-failure destination')]);
    const cannotSend = mutated((copy) => {
      const statement = statementWith(copy, 'SweepRole', 'sqs:SendMessage');
      statement.Action = 'sqs:GetQueueUrl';
    });
    expect(checkOnFailureDestinations(cannotSend)).toEqual([expect.stringContaining('may not sqs:SendMessage')]);
    const deadConfig = mutated((copy) => {
      copy.Resources['InstanceEventsLambdaEvConf'] = {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: { FunctionName: { Ref: 'InstanceEventsLambdaFunction' }, Qualifier: '$LATEST', MaximumRetryAttempts: 2 },
      };
    });
    expect(checkOnFailureDestinations(deadConfig)).toEqual([expect.stringContaining('InstanceEventsLambdaFunction: fed by')]);
  });

  it('take their events from their own encrypted queue in bounded, partially failing batches, with bounded retries into the dead-letter queue', () => {
    // One per event queue, plus ConvergePartsQueue (the parts of a trigger too large for one invocation).
    expect(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(3);
    expect(checkEventQueues(template)).toEqual([]);
    const [mappingId] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(([id]) => id.startsWith('InstanceEvents')) ?? [
      '',
    ];
    const allOrNothing = mutated((copy) => delete properties(copy, mappingId)['FunctionResponseTypes']);
    expect(checkEventQueues(allOrNothing)).toEqual([expect.stringContaining('ReportBatchItemFailures')]);
    const unbounded = mutated((copy) => delete properties(copy, mappingId)['ScalingConfig']);
    expect(checkEventQueues(unbounded)).toEqual([expect.stringContaining('MaximumConcurrency')]);
    const forever = mutated((copy) => delete properties(copy, 'InstanceEventsQueue')['RedrivePolicy']);
    expect(checkEventQueues(forever)).toEqual([
      expect.stringContaining('InstanceEventsQueue: no RedrivePolicy'),
      expect.stringContaining('maxReceiveCount undefined'),
    ]);
    const manyRetries = mutated(
      (copy) => ((properties(copy, 'CloudtrailTagsQueue')['RedrivePolicy'] as Record<string, unknown>)['maxReceiveCount'] = 1000),
    );
    expect(checkEventQueues(manyRetries)).toEqual([expect.stringContaining('maxReceiveCount 1000')]);
    const plain = mutated((copy) => delete properties(copy, 'InstanceEventsQueue')['SqsManagedSseEnabled']);
    expect(checkEventQueues(plain)).toEqual(['InstanceEventsQueue: not encrypted']);
    const shortVisibility = mutated((copy) => (properties(copy, 'InstanceEventsQueue')['VisibilityTimeout'] = 60));
    expect(checkEventQueues(shortVisibility)).toEqual([expect.stringContaining('VisibilityTimeout 60')]);
    const readsOthers = mutated((copy) => {
      statementWith(copy, 'InstanceEventsRole', 'sqs:ReceiveMessage').Resource = [
        { 'Fn::GetAtt': ['InstanceEventsQueue', 'Arn'] },
        { 'Fn::GetAtt': ['CloudtrailTagsQueue', 'Arn'] },
      ];
    });
    expect(checkEventQueues(readsOthers)).toEqual([expect.stringContaining('want only its own queues InstanceEventsQueue')]);
    const anyRuleMaySend = mutated((copy) => {
      const document = properties(copy, 'InstanceEventsQueuePolicy')['PolicyDocument'] as { Statement: Array<{ Condition?: unknown }> };
      delete document.Statement[0]?.Condition;
    });
    // Both rules feeding the queue lose their grant.
    expect(checkEventQueues(anyRuleMaySend)).toEqual([
      expect.stringContaining('InstanceEventsQueue: no queue policy lets events.amazonaws.com send to it for StateChangeRule'),
      expect.stringContaining('InstanceEventsQueue: no queue policy lets events.amazonaws.com send to it for TagChangeRule'),
    ]);
    const foreignSender = mutated((copy) => {
      const document = properties(copy, 'InstanceEventsQueuePolicy')['PolicyDocument'] as {
        Statement: Array<{ Condition: { ArnEquals: Record<string, unknown[]> } }>;
      };
      document.Statement[0]?.Condition.ArnEquals['aws:SourceArn']?.push({ 'Fn::GetAtt': ['CloudtrailTagsRule', 'Arn'] });
    });
    expect(checkEventQueues(foreignSender)).toHaveLength(2);
  });

  it('log to their own log group, with retention', () => {
    expect(checkLogGroups(template)).toEqual([]);
    const forever = mutated((copy) => delete properties(copy, 'InstanceEventsLogGroup')['RetentionInDays']);
    expect(checkLogGroups(forever)).toEqual(['InstanceEventsLogGroup: no RetentionInDays']);
    const othersGroup = mutated((copy) => {
      statementWith(copy, 'SweepRole', 'logs:PutLogEvents').Resource = { 'Fn::GetAtt': ['InstanceEventsLogGroup', 'Arn'] };
    });
    expect(checkLogGroups(othersGroup)).toEqual([expect.stringContaining('SweepLambdaFunction: its role may not logs:PutLogEvents')]);
  });
});

describe('IAM', () => {
  it('grants no wildcard action, and Resource * only to ec2:Describe*', () => {
    expect(checkNoWildcardActions(template)).toEqual([]);
    const ec2Star = mutated((copy) => (statementWith(copy, 'InstanceEventsRole', 'ec2:DeleteTrafficMirrorSession').Action = 'ec2:*'));
    expect(checkNoWildcardActions(ec2Star)).toEqual([expect.stringContaining('wildcard action ec2:*')]);
    const star = mutated((copy) => (statementWith(copy, 'SweepRole', 'dynamodb:Scan').Action = '*'));
    expect(checkNoWildcardActions(star)).toEqual([expect.stringContaining('wildcard action *')]);
    const broad = mutated((copy) => (statementWith(copy, 'SweepRole', 'dynamodb:Scan').Resource = '*'));
    expect(checkNoWildcardActions(broad)).toEqual([expect.stringContaining("Resource '*' for dynamodb:Scan")]);
  });

  it('deletes, creates and tags only sessions that carry the owner tag', () => {
    expect(checkSessionOwnership(template)).toEqual([]);
    const unconditionalDelete = mutated((copy) => delete statementWith(copy, 'SweepRole', 'ec2:DeleteTrafficMirrorSession').Condition);
    // The shared statement is one YAML anchor, but the packaged JSON holds a copy per role.
    expect(checkSessionOwnership(unconditionalDelete)).toEqual([expect.stringContaining('SweepRole.Statement')]);
    const otherOwner = mutated((copy) => {
      const environment = properties(copy, 'InstanceEventsLambdaFunction')['Environment'] as { Variables: Record<string, unknown> };
      environment.Variables['MIRROR_OWNER_ID'] = 'someone-else';
    });
    expect(checkSessionOwnership(otherOwner).length).toBeGreaterThanOrEqual(2);
    const anyTags = mutated((copy) => delete statementWith(copy, 'InstanceEventsRole', 'ec2:CreateTags').Condition);
    expect(checkSessionOwnership(anyTags)).toEqual([expect.stringContaining('ec2:CreateAction')]);
  });

  it('grants each function the AWS calls the code makes, and nothing the code does not call', () => {
    const called = iamActionsCalledBy(sourceFiles(['shared', 'functions']));
    expect(called).toEqual(expect.arrayContaining(['ec2:CreateTrafficMirrorSession', 'dynamodb:UpdateItem', 'events:PutEvents']));
    expect(iamCoverageProblems(template, called)).toEqual([]);
    const withoutBatchGet = mutated((copy) => {
      const statement = statementWith(copy, 'InstanceEventsRole', 'dynamodb:GetItem');
      statement.Action = ([] as string[]).concat(statement.Action ?? []).filter((action) => action !== 'dynamodb:BatchGetItem');
    });
    expect(iamCoverageProblems(withoutBatchGet, called)).toEqual(['InstanceEventsRole lacks dynamodb:BatchGetItem']);
    const withExtra = mutated(
      (copy) => (statementWith(copy, 'InstanceEventsRole', 'events:PutEvents').Action = ['events:PutEvents', 'events:PutRule']),
    );
    expect(iamCoverageProblems(withExtra, called)).toEqual(['InstanceEventsRole grants unused events:PutRule']);
    const purge = mutated(
      (copy) =>
        (statementWith(copy, 'InstanceEventsRole', 'sqs:ReceiveMessage').Action = [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:PurgeQueue',
        ]),
    );
    expect(iamCoverageProblems(purge, called)).toEqual(['InstanceEventsRole grants unused sqs:PurgeQueue']);
    const noDeferral = mutated((copy) => {
      statementWith(copy, 'InstanceEventsRole', 'sqs:SendMessage').Effect = 'Deny';
    });
    expect(iamCoverageProblems(noDeferral, called)).toEqual(['InstanceEventsRole lacks sqs:SendMessage']);
    expect(iamActionsCalledBy(["import { BatchWriteCommand, type GetCommandInput } from '@aws-sdk/lib-dynamodb';"])).toEqual([
      'dynamodb:BatchWriteItem',
    ]);
  });

  it("grants an organization's hub the Organizations reads the code makes, and one account none of them", () => {
    const called = iamActionsCalledBy(sourceFiles(['shared', 'functions']));
    expect(called).toEqual(expect.arrayContaining(['organizations:ListChildren', 'organizations:ListAccountsForParent']));
    const hub = deployedWith({ OrganizationParameter: '/vpc-mirror-orchestrator/organization' });

    expect(iamCoverageProblems(hub, called)).toEqual([]);
    expect(iamCoverageProblems(template, called)).toEqual([]);
    const hubWithoutChildren = mutated((copy) => {
      (copy.Parameters as Record<string, { Default?: unknown }>)['OrganizationParameter'] = {
        Default: '/vpc-mirror-orchestrator/organization',
      };
      statementWith(copy, 'SweepRole', 'organizations:ListChildren').Action = ['organizations:ListAccountsForParent'];
    });
    expect(iamCoverageProblems(hubWithoutChildren, called)).toEqual(['SweepRole lacks organizations:ListChildren']);
  });

  it('lets an event function send only to the queues it consumes (deferred records), never to another', () => {
    expect(checkOwnQueueSends(template)).toEqual([]);
    const anyQueue = mutated((copy) => {
      statementWith(copy, 'CloudtrailTagsRole', 'sqs:SendMessage').Resource = '*';
    });
    expect(checkOwnQueueSends(anyQueue)).toEqual([expect.stringContaining('CloudtrailTagsRole may send to "*"')]);
  });

  it('lets only the sweep scan the ledger', () => {
    const scanners = resourcesOfType(template, 'AWS::IAM::Role')
      .filter(([, role]) =>
        roleStatements(role).some((statement) => ([] as string[]).concat(statement.Action ?? []).includes('dynamodb:Scan')),
      )
      .map(([id]) => id);
    expect(scanners).toEqual(['SweepRole']);
  });

  it('creates sessions only towards the configured targets and filters', () => {
    const pool = 'tmt-0123456789abcdef0,tmt-0123456789abcdef1';
    const targetArn = (id: string): string => `arn:aws:ec2:us-east-1:*:traffic-mirror-target/${id}`;
    const filterArn = (id: string): string => `arn:aws:ec2:us-east-1:*:traffic-mirror-filter/${id}`;

    const poolOnly = deployedWith({ MirrorTargetIds: pool, MirrorFilterId: 'tmf-0123456789abcdef0' });
    expect(grantedResources(poolOnly, 'CreateSessionToConfiguredTargets')).toEqual([
      targetArn('tmt-0123456789abcdef0'),
      targetArn('tmt-0123456789abcdef1'),
    ]);
    expect(grantedResources(poolOnly, 'CreateSessionWithConfiguredFilters')).toEqual([filterArn('tmf-0123456789abcdef0')]);

    const withAllowLists = deployedWith({
      MirrorTargetIds: pool,
      MirrorAllowedTargetIds: 'tmt-0123456789abcdef2',
      MirrorFilterId: 'tmf-0123456789abcdef0',
      MirrorAllowedFilterIds: 'tmf-0123456789abcdef1,tmf-0123456789abcdef2',
    });
    expect(grantedResources(withAllowLists, 'CreateSessionToConfiguredTargets')).toEqual(
      ['tmt-0123456789abcdef0', 'tmt-0123456789abcdef1', 'tmt-0123456789abcdef2'].map(targetArn),
    );
    expect(grantedResources(withAllowLists, 'CreateSessionWithConfiguredFilters')).toEqual(
      ['tmf-0123456789abcdef0', 'tmf-0123456789abcdef1', 'tmf-0123456789abcdef2'].map(filterArn),
    );
  });

  it(
    'publishes outcomes only to the bus EVENT_BUS_NAME names, whether a name or an ARN',
    async () => {
      expect(grantedResources(template, 'PublishOutcomes')).toBe(
        `arn:aws:events:us-east-1:${DEFAULT_PLACEHOLDER_CONTEXT.accountId}:event-bus/default`,
      );

      const centralBus = 'arn:aws:events:eu-west-1:111122223333:event-bus/security-outcomes';
      const packaged = await packageWithParams(REPO, { eventBusName: centralBus });
      try {
        const withCentralBus = JSON.parse(readFileSync(path.join(packaged.directory, TEMPLATE_FILE), 'utf8')) as CfnTemplate;
        expect(grantedResources(withCentralBus, 'PublishOutcomes')).toBe(centralBus);
        const busNames = resourcesOfType(withCentralBus, 'AWS::Lambda::Function').map(
          ([, fn]) =>
            (fn.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables?.['EVENT_BUS_NAME'],
        );
        expect(busNames).toEqual(FUNCTIONS.map(() => centralBus));
      } finally {
        packaged.release();
      }
    },
    PACKAGE_HOOK_TIMEOUT_MS,
  );
});

/** The template as CloudFormation would see it with these stack parameter values. */
function deployedWith(values: Readonly<Record<string, string>>): CfnTemplate {
  return mutated((copy) => {
    for (const [name, value] of Object.entries(values)) {
      const parameter = copy.Parameters?.[name];
      if (parameter === undefined) throw new Error(`no stack parameter ${name}`);
      parameter.Default = value;
    }
  });
}

/** The Resource of a statement (by Sid) of the instanceEvents role, intrinsics evaluated. */
function grantedResources(candidate: CfnTemplate, sid: string): unknown {
  const statement = roleStatements(candidate.Resources['InstanceEventsRole']).find((each) => each.Sid === sid);
  if (statement === undefined) throw new Error(`InstanceEventsRole has no statement ${sid}`);
  return resolveIntrinsics(statement.Resource, candidate, `InstanceEventsRole.${sid}`);
}

describe('organization', () => {
  const spokeRole = 'arn:aws:iam::*:role/vpc-mirror-orchestrator-spoke';

  it('lets every function assume only the spoke role, by its name, in any account', () => {
    expect(checkSpokeAssumption(template, spokeRole)).toEqual([]);
    const anyRole = mutated((copy) => (statementWith(copy, 'SweepRole', 'sts:AssumeRole').Resource = 'arn:aws:iam::*:role/*'));
    expect(checkSpokeAssumption(anyRole, spokeRole)).toEqual([
      expect.stringContaining('SweepRole: AssumeSpokeRoles may assume "arn:aws:iam::*:role/*"'),
    ]);
    const tagging = mutated(
      (copy) => (statementWith(copy, 'InstanceEventsRole', 'sts:AssumeRole').Action = ['sts:AssumeRole', 'sts:TagSession']),
    );
    expect(checkSpokeAssumption(tagging, spokeRole)).toEqual([expect.stringContaining('grants sts:AssumeRole, sts:TagSession')]);
  });

  it('lets every function read only the organization document, and sets its parameter in the environment', () => {
    const named = deployedWith({ OrganizationParameter: '/vpc-mirror-orchestrator/organization' });
    const documentArn = `arn:aws:ssm:us-east-1:${DEFAULT_PLACEHOLDER_CONTEXT.accountId}:parameter/vpc-mirror-orchestrator/organization`;
    expect(checkDocumentRead(named, documentArn)).toEqual([]);
    // Unset (one account): the ARN names no parameter at all.
    expect(checkDocumentRead(template, `arn:aws:ssm:us-east-1:${DEFAULT_PLACEHOLDER_CONTEXT.accountId}:parameter`)).toEqual([]);
    const everyParameter = mutated(
      (copy) => (statementWith(copy, 'WindowEndRole', 'ssm:GetParameter').Resource = 'arn:aws:ssm:*:*:parameter/*'),
    );
    expect(checkDocumentRead(everyParameter, `arn:aws:ssm:us-east-1:${DEFAULT_PLACEHOLDER_CONTEXT.accountId}:parameter`)).toEqual([
      expect.stringContaining('WindowEndRole: ReadOrganizationDocument may read "arn:aws:ssm:*:*:parameter/*"'),
    ]);
    expect(checkEnvironment(template, { MIRROR_ORGANIZATION_PARAMETER: '' })).toEqual([]);
  });

  it("lets only an organization's hub list its OUs' children and accounts, on OU and root ARNs only", () => {
    const hubParameter = { OrganizationParameter: '/vpc-mirror-orchestrator/organization' };
    const unitArns = ['arn:aws:organizations::*:ou/o-*/ou-*', 'arn:aws:organizations::*:root/o-*/r-*'];

    expect(checkOrganizationUnitReads(deployedWith(hubParameter), true, unitArns)).toEqual([]);
    expect(checkOrganizationUnitReads(template, false, unitArns)).toEqual([]);

    const asHub = (change: (copy: CfnTemplate) => void) =>
      mutated((copy) => {
        (copy.Parameters as Record<string, { Default?: unknown }>)['OrganizationParameter'] = {
          Default: hubParameter.OrganizationParameter,
        };
        change(copy);
      });
    const anyResource = asHub((copy) => (statementWith(copy, 'InstanceEventsRole', 'organizations:ListChildren').Resource = '*'));
    expect(checkOrganizationUnitReads(anyResource, true, unitArns)).toEqual([
      expect.stringContaining('InstanceEventsRole: ListOrganizationUnits may read ["*"]'),
    ]);
    expect(checkNoWildcardActions(anyResource)).toEqual([expect.stringContaining("Resource '*' for organizations:ListChildren")]);
    const everyAccount = asHub(
      (copy) =>
        (statementWith(copy, 'SweepRole', 'organizations:ListChildren').Action = [
          'organizations:ListChildren',
          'organizations:ListAccountsForParent',
          'organizations:ListAccounts',
        ]),
    );
    expect(checkOrganizationUnitReads(everyAccount, true, unitArns)).toEqual([
      expect.stringContaining('SweepRole: ListOrganizationUnits grants organizations:ListAccounts, organizations:ListAccountsForParent'),
    ]);
    // Granted whether or not the stack is a hub: one account's functions could read the organization's tree.
    const unconditioned = mutated((copy) => {
      for (const role of ['InstanceEventsRole', 'CloudtrailTagsRole', 'SweepRole', 'WindowEndRole']) {
        const statements = (properties(copy, role)['Policies'] as Array<{ PolicyDocument: { Statement: unknown[] } }>)[0]?.PolicyDocument
          .Statement;
        const index = statements?.findIndex((statement) => JSON.stringify(statement).includes('organizations:ListChildren')) ?? -1;
        const conditional = statements?.[index] as { 'Fn::If': [string, unknown, unknown] } | undefined;
        if (statements !== undefined && conditional !== undefined) statements[index] = conditional['Fn::If'][1];
      }
    });
    expect(checkOrganizationUnitReads(unconditioned, false, unitArns)).toHaveLength(4);
  });

  it("grants its own account's sessions in every Region only as an organization's hub, in its own Region otherwise", () => {
    const ids = { MirrorTargetIds: 'tmt-0123456789abcdef0', MirrorFilterId: 'tmf-0123456789abcdef0' };
    const single = deployedWith(ids);
    const hub = deployedWith({ ...ids, OrganizationParameter: '/vpc-mirror-orchestrator/organization' });

    expect(checkSessionGrantRegions(single, 'us-east-1')).toEqual([]);
    expect(checkSessionGrantRegions(hub, '*')).toEqual([]);
    const everywhere = mutated((copy) => {
      copy.Conditions = { ...copy.Conditions, IsOrganizationHub: { 'Fn::Equals': ['', ''] } };
      for (const [name, value] of Object.entries(ids))
        (copy.Parameters as Record<string, { Default?: unknown }>)[name] = { Default: value };
    });
    // Four function roles, six grants each.
    expect(checkSessionGrantRegions(everywhere, 'us-east-1')).toHaveLength(24);
  });

  it('admits events on the default bus only from the organization, and only when one is named', () => {
    expect(template.Resources['OrganizationEventsPolicy']?.Condition).toBe('HasOrganizationId');
    const withOrganization = deployedWith({ OrganizationId: 'o-abcd123456' });
    expect(checkOrganizationBusPolicy(withOrganization, 'o-abcd123456')).toEqual([]);
    const anyone = mutated((copy) => {
      copy.Parameters = { ...copy.Parameters, OrganizationId: { ...copy.Parameters?.['OrganizationId'], Default: 'o-abcd123456' } };
      delete (properties(copy, 'OrganizationEventsPolicy')['Statement'] as { Condition?: unknown }).Condition;
    });
    expect(checkOrganizationBusPolicy(anyone, 'o-abcd123456')).toEqual([expect.stringContaining('without aws:PrincipalOrgID')]);
  });
});

describe('resources', () => {
  it('keep the ledger table of the contract, with point-in-time recovery and TTL', () => {
    expect(checkLedgerTable(template)).toEqual([]);
    const noPitr = mutated((copy) => delete properties(copy, 'LedgerTable')['PointInTimeRecoverySpecification']);
    expect(checkLedgerTable(noPitr)).toEqual([expect.stringContaining('PointInTimeRecoverySpecification')]);
    const otherTtl = mutated(
      (copy) => (properties(copy, 'LedgerTable')['TimeToLiveSpecification'] = { AttributeName: 'ttl', Enabled: true }),
    );
    expect(checkLedgerTable(otherTtl)).toEqual([expect.stringContaining('TimeToLiveSpecification')]);
  });

  it('keep failed invocations 14 days, encrypted, with an alarm', () => {
    expect(checkDeadLetterQueue(template)).toEqual([]);
    const unencrypted = mutated((copy) => delete properties(copy, 'DeadLetterQueue')['SqsManagedSseEnabled']);
    expect(checkDeadLetterQueue(unencrypted)).toEqual(['DeadLetterQueue: not encrypted']);
    const unwatched = mutated((copy) => (properties(copy, 'DeadLetterQueueAlarm')['Threshold'] = 5));
    expect(checkDeadLetterQueue(unwatched)).toEqual([expect.stringContaining('no alarm')]);
  });
});

describe('event rules', () => {
  /** A rule's pattern, state and the queues it targets (rule -> queue -> function). */
  function rulePattern(ruleLogicalId: string): { pattern: unknown; state: unknown; queues: string[] } {
    const rule = template.Resources[ruleLogicalId];
    const targets = (rule?.Properties?.['Targets'] ?? []) as Array<{ Arn?: { 'Fn::GetAtt'?: [string, string] } }>;
    return {
      pattern: rule?.Properties?.['EventPattern'],
      state: rule?.Properties?.['State'],
      queues: targets.map((target) => target.Arn?.['Fn::GetAtt']?.[0] ?? JSON.stringify(target.Arn)),
    };
  }

  it('retry delivery a bounded time, then hand undeliverable events to the dead-letter queue', () => {
    expect(checkRuleDelivery(template)).toEqual([]);
    const noDeadLetter = mutated((copy) => {
      const targets = properties(copy, 'TagChangeRule')['Targets'] as Array<Record<string, unknown>>;
      delete targets[0]?.['DeadLetterConfig'];
    });
    expect(checkRuleDelivery(noDeadLetter)).toEqual([expect.stringContaining('TagChangeRule')]);
    const noQueuePolicy = mutated((copy) => delete copy.Resources['DeadLetterQueuePolicy']);
    expect(checkRuleDelivery(noQueuePolicy)).toHaveLength(4);
  });

  it('route state changes and tag changes to one queue, (disabled by default) CloudTrail tag calls to theirs; sweep on a schedule', () => {
    // An instance's state change and tag change meet in one queue, so a launch's two events share a batch.
    expect(rulePattern('StateChangeRule')).toEqual({
      queues: ['InstanceEventsQueue'],
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['running', 'stopping', 'stopped', 'shutting-down', 'terminated'] },
      },
      state: 'ENABLED',
    });
    expect(rulePattern('TagChangeRule')).toEqual({
      queues: ['InstanceEventsQueue'],
      pattern: {
        source: ['aws.tag'],
        'detail-type': ['Tag Change on Resource'],
        detail: {
          service: ['ec2'],
          'resource-type': ['instance'],
          'changed-tag-keys': ['traffic-mirror', 'traffic-mirror-target', 'traffic-mirror-filter', 'traffic-mirror-until'],
        },
      },
      state: 'ENABLED',
    });
    expect(rulePattern('CloudtrailTagsRule')).toEqual({
      queues: ['CloudtrailTagsQueue'],
      pattern: {
        source: ['aws.ec2'],
        'detail-type': ['AWS API Call via CloudTrail'],
        // Exactly the calls the parser reads: one sent and not read would be ignored on every delivery.
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CLOUDTRAIL_CALLS] },
      },
      state: 'DISABLED',
    });
    // Our own Converge Instances Requested events (split.ts), one part per invocation of the cloudtrailTags function.
    expect(rulePattern('ConvergePartsRule')).toEqual({
      queues: ['ConvergePartsQueue'],
      pattern: { source: ['vpc-mirror-orchestrator'], 'detail-type': ['Converge Instances Requested'] },
      state: 'ENABLED',
    });
    const partsMapping = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(([id]) =>
      id.endsWith('ConvergePartsQueue'),
    )?.[1];
    expect(partsMapping?.Properties).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } });
    // Only the role that splits may put them, and only them, on the default bus.
    const requesters = resourcesOfType(template, 'AWS::IAM::Role')
      .filter(([, role]) => roleStatements(role).some((statement) => statement.Sid === 'RequestConvergeParts'))
      .map(([id]) => id);
    expect(requesters).toEqual(['CloudtrailTagsRole']);
    // No rule invokes an event function directly any more: every event goes through its queue.
    const direct = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
      /"(InstanceEvents|CloudtrailTags)LambdaFunction"/.test(JSON.stringify(rule.Properties?.['Targets'])),
    );
    expect(direct).toEqual([]);
    const schedule = resourcesOfType(template, 'AWS::Events::Rule').find(([id]) => id.startsWith('Sweep'))?.[1];
    expect(schedule?.Properties?.['ScheduleExpression']).toBe('rate(10 minutes)');
  });
});

describe('governance', () => {
  it('ticks the window-end function every minute through EventBridge Scheduler, with a role that may only invoke it', () => {
    expect(checkWindowEndSchedule(template)).toEqual([]);
    const hourly = mutated((copy) => {
      const [id] = resourcesOfType(copy, 'AWS::Scheduler::Schedule')[0] ?? [];
      properties(copy, id ?? '')['ScheduleExpression'] = 'rate(1 hour)';
    });
    expect(checkWindowEndSchedule(hourly)).toEqual([expect.stringContaining('want rate(1 minute)')]);
    const broad = mutated((copy) => {
      for (const statement of roleStatements(copy.Resources['WindowEndSchedulerRole'])) statement.Resource = '*';
    });
    expect(checkWindowEndSchedule(broad)).toEqual([expect.stringContaining('may invoke')]);
  });

  it('alarms on dead letters, function errors, low coverage and unknown sessions in the N-of-M shape, missing data not breaching', () => {
    const alarms = ['DeadLetterQueueAlarm', 'FunctionErrorsAlarm', 'CoverageAlarm', 'UnknownSessionsAlarm'];
    expect(alarms.flatMap((id) => checkAlarmShape(template, id))).toEqual([]);
    const breaching = mutated((copy) => (properties(copy, 'CoverageAlarm')['TreatMissingData'] = 'breaching'));
    expect(checkAlarmShape(breaching, 'CoverageAlarm')).toEqual([expect.stringContaining('not notBreaching')]);
    const oneOfNothing = mutated((copy) => delete properties(copy, 'UnknownSessionsAlarm')['DatapointsToAlarm']);
    expect(checkAlarmShape(oneOfNothing, 'UnknownSessionsAlarm')).toEqual([expect.stringContaining('not N of M')]);
    expect(properties(template, 'CoverageAlarm')).toMatchObject({
      MetricName: 'coveragePercent',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 95,
    });
    expect(properties(template, 'UnknownSessionsAlarm')).toMatchObject({
      MetricName: 'unmanagedSessions',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
  });

  it('has a dashboard showing coverage, target load, refusals, unmanaged sessions, dead letters, throttling, latency and sweep time', () => {
    const widgets = dashboardBody(template).widgets;
    const text = JSON.stringify(widgets);
    expect(dashboardMetricNames(template, 'VpcMirrorOrchestrator')).toEqual(
      expect.arrayContaining(['coveragePercent', 'unmanagedSessions', 'ec2Throttled', 'eventToSessionMs', 'sweepDurationMs']),
    );
    expect(text).toContain('ApproximateNumberOfMessagesVisible');
    expect(text).toContain('"stat":"p50"');
    expect(text).toContain('"stat":"p99"');
    const queries = widgets.filter((widget) => widget.type === 'log').map((widget) => String(widget.properties['query']));
    expect(queries).toEqual([expect.stringContaining("message = 'target load'"), expect.stringContaining("action = 'refuse'")]);
  });
});
