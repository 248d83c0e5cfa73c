import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { planTable } from '../../local/cloud/ledger-table';
import { rateToMs, readStack, StackError } from '../../local/cloud/stack';
import { useScratchDir } from '../support/scratch-dir';

describe('readStack', () => {
  const scratch = useScratchDir('stack-');
  const write = (yaml: string): string => {
    const file = path.join(scratch(), `serverless-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, yaml);
    return file;
  };
  const minimal = (extra: string) => `
service: demo
params:
  default:
    key: traffic-mirror
    enabled: 'false'
    rate: rate(10 minutes)
provider:
  name: aws
  stage: \${opt:stage, 'qa'}
  region: eu-west-1
  timeout: 30
  environment:
    TAG: \${param:key}
    OWNER: \${self:service}-\${sls:stage}
    TABLE:
      Ref: LedgerTable
${extra}
resources:
  Resources:
    LedgerTable:
      Type: AWS::DynamoDB::Table
      Properties:
        KeySchema: [{ AttributeName: pk, KeyType: HASH }]
        AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
`;

  it('resolves params, self, stage fallbacks and nested strToBool; reports intrinsics it cannot resolve', () => {
    const stack = readStack(
      write(
        minimal(`
functions:
  one:
    handler: functions/one.handler
    events:
      - eventBridge:
          enabled: \${strToBool(\${param:enabled})}
          pattern:
            detail:
              changed-tag-keys: ['\${param:key}']
      - schedule:
          rate: ['\${param:rate}']
`),
      ),
    );

    expect(stack).toMatchObject({ service: 'demo', stage: 'qa', region: 'eu-west-1', unresolved: ['provider.environment.TABLE'] });
    const [fn] = stack.functions;
    expect(fn).toMatchObject({
      key: 'one',
      functionName: 'demo-qa-one',
      modulePath: 'functions/one',
      exportName: 'handler',
      timeoutSeconds: 30,
      maximumRetryAttempts: 2,
      environment: { TAG: 'traffic-mirror', OWNER: 'demo-qa' },
    });
    expect(fn?.rules).toEqual([
      {
        name: 'one-rule-1',
        functionKey: 'one',
        pattern: { detail: { 'changed-tag-keys': ['traffic-mirror'] } },
        eventBusName: undefined,
        enabled: false,
      },
    ]);
    expect(fn?.schedules).toMatchObject([{ expression: 'rate(10 minutes)', rateMs: 600_000, enabled: true }]);
  });

  it('lets the caller override params and the stage', () => {
    const stack = readStack(write(minimal('functions: {}')), { stage: 'prod', params: { key: 'mirror-me' } });

    expect(stack.stage).toBe('prod');
    expect(stack.functions).toEqual([]);
    expect(
      readStack(
        write(
          minimal(`
functions:
  one:
    handler: f.handler
`),
        ),
        { params: { key: 'mirror-me' } },
      ).functions[0]?.environment['TAG'],
    ).toBe('mirror-me');
  });

  it('leaves CloudFormation placeholders in Fn::Sub strings alone', () => {
    const stack = readStack(
      write(
        minimal(`
functions:
  one:
    handler: f.handler
    environment:
      ARN_TEMPLATE: arn:\${AWS::Partition}:ec2:\${self:provider.region}
`),
      ),
    );

    expect(stack.functions[0]?.environment['ARN_TEMPLATE']).toBe('arn:${AWS::Partition}:ec2:eu-west-1');
  });

  it('names the variable it cannot resolve', () => {
    const file = write(
      minimal(`
functions:
  one:
    handler: f.handler
    environment:
      MISSING: \${param:nope}
`),
    );

    expect(() => readStack(file)).toThrow(StackError);
    expect(() => readStack(file)).toThrow(/functions\.one\.environment\.MISSING: cannot resolve \$\{param:nope\}/);
  });

  it('refuses a handler without an export and an invalid pattern', () => {
    expect(() =>
      readStack(
        write(
          minimal(`
functions:
  one:
    handler: no-export
`),
        ),
      ),
    ).toThrow(/functions\.one\.handler/);
    expect(() =>
      readStack(
        write(
          minimal(`
functions:
  one:
    handler: f.handler
    events:
      - eventBridge:
          pattern:
            source: []
`),
        ),
      ),
    ).toThrow(/functions\.one\.events\[0\]\.eventBridge\.pattern/);
  });

  it("reads the real stack's rule -> queue -> function chains, the queues' redrive and the event source mappings", () => {
    const stack = readStack(path.resolve(__dirname, '../../serverless.yml'));

    const instanceEvents = stack.functions.find((fn) => fn.key === 'instanceEvents');
    expect(instanceEvents?.queueSources).toEqual([
      {
        queueLogicalId: 'InstanceEventsQueue',
        batchSize: 10,
        maximumBatchingWindowSeconds: 2,
        reportBatchItemFailures: true,
        maximumConcurrency: 10,
        enabled: true,
      },
    ]);
    // Both instance rules feed one queue: an instance's state change and tag change meet there.
    expect(instanceEvents?.rules).toEqual([
      expect.objectContaining({
        name: 'vpc-mirror-orchestrator-dev-stateChange',
        functionKey: 'instanceEvents',
        queueLogicalId: 'InstanceEventsQueue',
        enabled: true,
      }),
      expect.objectContaining({
        name: 'vpc-mirror-orchestrator-dev-tagChange',
        functionKey: 'instanceEvents',
        queueLogicalId: 'InstanceEventsQueue',
        enabled: true,
      }),
    ]);
    expect(instanceEvents?.onFailureDestination).toBeUndefined();
    expect(stack.queues.map((queue) => queue.logicalId).sort()).toEqual([
      'CloudtrailTagsQueue',
      'ConvergePartsQueue',
      'InstanceEventsQueue',
    ]);
    expect(stack.queues.find((queue) => queue.logicalId === 'InstanceEventsQueue')).toEqual({
      logicalId: 'InstanceEventsQueue',
      name: 'vpc-mirror-orchestrator-dev-InstanceEventsQueue',
      visibilityTimeoutSeconds: 420,
      maxReceiveCount: 3,
      deadLetterTarget: JSON.stringify({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }),
    });
    const tagRule = stack.rules.find((rule) => rule.name === 'vpc-mirror-orchestrator-dev-tagChange');
    expect(tagRule?.pattern).toMatchObject({
      detail: { 'changed-tag-keys': ['traffic-mirror', 'traffic-mirror-target', 'traffic-mirror-filter', 'traffic-mirror-until'] },
    });
    const cloudTrailRule = (of: typeof stack) => of.rules.find((rule) => rule.name === 'vpc-mirror-orchestrator-dev-cloudtrailTags');
    expect(cloudTrailRule(stack)?.enabled).toBe(false);
    // The parts of a trigger too large for one invocation: our own events, one part per invocation.
    expect(stack.rules.find((rule) => rule.queueLogicalId === 'ConvergePartsQueue')).toEqual(
      expect.objectContaining({
        functionKey: 'cloudtrailTags',
        enabled: true,
        pattern: { source: ['vpc-mirror-orchestrator'], 'detail-type': ['Converge Instances Requested'] },
      }),
    );
    expect(stack.functions.find((fn) => fn.key === 'cloudtrailTags')?.queueSources[1]).toEqual({
      queueLogicalId: 'ConvergePartsQueue',
      batchSize: 1,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      maximumConcurrency: 2,
      enabled: true,
    });
    expect(stack.functions.find((fn) => fn.key === 'sweep')?.queueSources).toEqual([]);

    const tuned = readStack(path.resolve(__dirname, '../../serverless.yml'), {
      params: { cloudTrailEvents: 'true', queueMaxReceiveCount: '5', queueMaximumConcurrency: '4' },
    });
    expect(cloudTrailRule(tuned)?.enabled).toBe(true);
    expect(tuned.queues.every((queue) => queue.maxReceiveCount === 5)).toBe(true);
    expect(tuned.functions.find((fn) => fn.key === 'instanceEvents')?.queueSources[0]?.maximumConcurrency).toBe(4);
  });

  it('reads rates and leaves cron to manual runs', () => {
    expect(rateToMs('rate(1 minute)')).toBe(60_000);
    expect(rateToMs('rate(2 hours)')).toBe(7_200_000);
    expect(rateToMs('cron(0 12 * * ? *)')).toBeUndefined();
  });
});

describe('planTable', () => {
  it('keeps what dynalite takes, renames the table and lists what it left out', () => {
    const plan = planTable(
      {
        TableName: 'from-the-stack',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'gsi1', KeySchema: [], Projection: { ProjectionType: 'ALL' }, ContributorInsightsSpecification: { Enabled: true } },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
      'local-ledger',
    );

    expect(plan.input).toEqual({
      TableName: 'local-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      GlobalSecondaryIndexes: [{ IndexName: 'gsi1', KeySchema: [], Projection: { ProjectionType: 'ALL' } }],
    });
    expect(plan.dropped).toEqual([
      'GlobalSecondaryIndexes.gsi1.ContributorInsightsSpecification',
      'TimeToLiveSpecification',
      'StreamSpecification',
    ]);
  });

  it('refuses a table without keys', () => {
    expect(() => planTable({ BillingMode: 'PAY_PER_REQUEST' }, 'x')).toThrow(/KeySchema/);
  });
});
