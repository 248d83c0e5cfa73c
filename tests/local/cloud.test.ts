import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  DescribeSubnetsCommand,
  DescribeTrafficMirrorSessionsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { BatchReport, InvocationReport, LambdaLogLine } from '@vpc-mirror-orchestrator/local-lambda';
import { build } from 'esbuild';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { isAlive } from '../support/processes';
import { useScratchDir } from '../support/scratch-dir';

const REPO = path.resolve(__dirname, '../..');
const FIXTURE_STACK = path.join(__dirname, 'fixtures/serverless.yml');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('startLocalCloud with the fixture stack', () => {
  let cloud: LocalCloud;
  const reports: InvocationReport[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud({
      rootDir: REPO,
      serverlessYml: FIXTURE_STACK,
      simulator: { seed: 3, transitionDelayMs: 0 },
      onInvocation: (report) => reports.push(report),
    });
  });

  afterAll(async () => {
    await cloud.stop();
  });

  it("creates the ledger table from the stack's LedgerTable, leaving out what dynalite lacks", async () => {
    const dynamo = new DynamoDBClient({ endpoint: cloud.dynamodbEndpoint, region: cloud.region, credentials });

    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: cloud.tableName }));
    dynamo.destroy();

    expect(cloud.tableName).toBe('vpc-mirror-orchestrator-dev-ledger');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema?.map((key) => key.AttributeName)])).toEqual([
      ['gsi1', ['gsi1pk', 'gsi1sk']],
    ]);
    expect([...cloud.droppedTableProperties].sort()).toEqual([
      'PointInTimeRecoverySpecification',
      'SSESpecification',
      'TimeToLiveSpecification',
    ]);
  });

  it('gives functions the stack environment, the local endpoints and the caller configuration', async () => {
    await cloud.deployFunctions({ MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0', MIRROR_FILTER_ID: 'tmf-0123456789abcdef0' });

    const result = await cloud.lambdas['stateChange']?.invoke({
      behave: 'env',
      names: [
        'MIRROR_TAG_KEY',
        'MIRROR_OWNER_ID',
        'MIRROR_TARGET_IDS',
        'LEDGER_TABLE_NAME',
        'AWS_ENDPOINT_URL_EC2',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_ENDPOINT_URL_EVENTBRIDGE',
        'AWS_LAMBDA_FUNCTION_NAME',
      ],
    });

    expect(result?.value).toEqual({
      MIRROR_TAG_KEY: 'traffic-mirror',
      MIRROR_OWNER_ID: 'vpc-mirror-orchestrator-dev',
      MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0',
      LEDGER_TABLE_NAME: cloud.tableName,
      AWS_ENDPOINT_URL_EC2: cloud.ec2Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: cloud.dynamodbEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.eventBridgeEndpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'vpc-mirror-orchestrator-dev-stateChange',
    });
    expect(cloud.env).toMatchObject({
      AWS_ENDPOINT_URL_EC2: cloud.ec2Endpoint,
      LEDGER_TABLE_NAME: cloud.tableName,
      EVENT_BUS_NAME: 'default',
    });
  });

  it("routes the simulator's events through the stack's rules to the functions", async () => {
    const ec2 = new EC2Client({ endpoint: cloud.ec2Endpoint, region: cloud.region, credentials });
    const subnets = await ec2.send(new DescribeSubnetsCommand({}));

    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnets.Subnets?.[0]?.SubnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }],
      }),
    );
    const instanceId = launched.Instances?.[0]?.InstanceId as string;
    const running = await cloud.bus.waitFor(
      (event) =>
        event['detail-type'] === 'EC2 Instance State-change Notification' && (event.detail as { state: string }).state === 'running',
      20_000,
    );
    expect(await cloud.settle(30_000)).toBe(true);
    ec2.destroy();

    expect((running.detail as { 'instance-id': string })['instance-id']).toBe(instanceId);
    const routed = cloud.bus.events().filter((received) => received.event.id === running.id);
    expect(routed.map((received) => received.matchedRules)).toEqual([['stateChange-rule-1']]);
    expect(reports.some((report) => report.functionKey === 'stateChange' && report.ok)).toBe(true);
    expect(cloud.deadLetters.entries()).toEqual([]);
  });

  it('fails a prewarmed deploy whose configuration a handler refuses at module load, naming it', async () => {
    const cloudWithBrokenHandler = await startLocalCloud({
      rootDir: REPO,
      serverlessYml: path.join(__dirname, 'fixtures/serverless-broken.yml'),
      simulator: false,
    });
    try {
      await expect(cloudWithBrokenHandler.deployFunctions({}, { prewarm: 1 })).rejects.toThrow(
        /broken: container failed to start: Error: MIRROR_TARGET_IDS is required/,
      );
    } finally {
      await cloudWithBrokenHandler.stop();
    }
  });

  it('runs the sweep schedule with a Scheduled Event', async () => {
    const outcome = await cloud.runSchedule('sweep');

    expect(outcome).toMatchObject({ status: 'succeeded', value: { echo: { 'detail-type': 'Scheduled Event', source: 'aws.events' } } });
  });
});

describe('startLocalCloud with bundled code on plain node', () => {
  const scratch = useScratchDir('local-cloud-bundle-');

  it('loads each function from the bundle folder and leaves no process behind', async () => {
    await bundleEchoHandler(scratch());
    const cloud = await startLocalCloud({
      rootDir: REPO,
      serverlessYml: FIXTURE_STACK,
      simulator: false,
      functions: ['sweep'],
      code: { kind: 'packaged', dir: scratch() },
      deploy: {},
    });

    const result = await cloud.lambdas['sweep']?.invoke({ behave: 'env', names: ['LAMBDA_TASK_ROOT'] });
    const pids = cloud.lambdas['sweep']?.stats().containers.map((container) => container.pid) ?? [];
    await cloud.stop();

    expect(result).toMatchObject({ ok: true, value: { LAMBDA_TASK_ROOT: scratch() } });
    expect(pids).toHaveLength(1);
    expect(pids.filter((pid) => pid !== undefined && isAlive(pid))).toEqual([]);
  });
});

describe('startLocalCloud with `sls package` zips', () => {
  const scratch = useScratchDir('local-cloud-zip-');

  it('unpacks <function>.zip, runs the bundle inside, and removes the unpacked copy on stop', async () => {
    const staging = path.join(scratch(), 'staging');
    const packaged = path.join(scratch(), '.serverless');
    mkdirSync(packaged);
    await bundleEchoHandler(staging);
    execFileSync('zip', ['-q', '-r', path.join(packaged, 'sweep.zip'), 'tests'], { cwd: staging, timeout: 30_000 });
    const cloud = await startLocalCloud({
      rootDir: REPO,
      serverlessYml: FIXTURE_STACK,
      simulator: false,
      functions: ['sweep'],
      code: { kind: 'packaged', dir: packaged },
      deploy: {},
    });

    const sweep = cloud.lambdas['sweep'];
    if (sweep === undefined) throw new Error('the sweep function was not deployed');
    const result = await sweep.invoke({ behave: 'env', names: ['LAMBDA_TASK_ROOT'] });
    const taskRoot = (result.value as { LAMBDA_TASK_ROOT: string }).LAMBDA_TASK_ROOT;
    await cloud.stop();

    expect(result.ok).toBe(true);
    expect(path.basename(taskRoot)).toMatch(/^local-cloud-artifact-/);
    expect(existsSync(taskRoot)).toBe(false);
  });
});

describe('startLocalCloud with the real stack and handlers', () => {
  it('mirrors a tagged instance end to end: simulator events -> bus -> rules -> one queue -> one instanceEvents batch -> session and outcome event', async () => {
    const batches: BatchReport[] = [];
    const logs: LambdaLogLine[] = [];
    const cloud = await startLocalCloud({
      rootDir: REPO,
      simulator: { seed: 11, transitionDelayMs: 0 },
      functions: ['instanceEvents'],
      onBatch: (report) => batches.push(report),
      logSink: (line) => logs.push(line),
    });
    const ec2 = new EC2Client({ endpoint: cloud.ec2Endpoint, region: cloud.region, credentials });
    try {
      const subnets = await ec2.send(new DescribeSubnetsCommand({}));
      const target = await ec2.send(
        new CreateTrafficMirrorTargetCommand({
          NetworkLoadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/capture/0123456789abcdef',
        }),
      );
      const filter = await ec2.send(new CreateTrafficMirrorFilterCommand({}));
      await cloud.deployFunctions({
        MIRROR_TARGET_IDS: target.TrafficMirrorTarget?.TrafficMirrorTargetId as string,
        MIRROR_FILTER_ID: filter.TrafficMirrorFilter?.TrafficMirrorFilterId as string,
      });

      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12345678',
          InstanceType: 'm5.large',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnets.Subnets?.[0]?.SubnetId,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }],
        }),
      );
      const attached = await cloud.bus.waitFor((event) => event['detail-type'] === 'Mirror Session Attached', 45_000);
      const sessions = await ec2.send(new DescribeTrafficMirrorSessionsCommand({}));

      expect(await cloud.settle(30_000)).toBe(true);

      expect(attached.source).toBe('vpc-mirror-orchestrator');
      expect(sessions.TrafficMirrorSessions?.map((session) => session.TrafficMirrorSessionId)).toEqual([
        (attached.detail as { sessionId: string }).sessionId,
      ]);
      const running = cloud.bus.events().find((received) => (received.event.detail as { state?: string }).state === 'running');
      expect(running?.matchedRules).toEqual(['vpc-mirror-orchestrator-dev-stateChange']);
      const tagged = cloud.bus.events().find((received) => received.event['detail-type'] === 'Tag Change on Resource');
      expect(tagged?.matchedRules).toEqual(['vpc-mirror-orchestrator-dev-tagChange']);
      // The launch's two events met in one queue and shared one batch: the instance was converged once.
      expect(batches).toEqual([expect.objectContaining({ functionKey: 'instanceEvents', ok: true, failedMessageIds: [] })]);
      expect(batches[0]?.messageIds).toHaveLength(2);
      const decisions = logs.filter((line) => line.json?.['message'] === 'decision');
      expect(decisions.map((line) => line.json?.['action'])).toEqual(['attach']);
      // Settled means drained: every event queue is empty.
      expect(Object.values(cloud.queues).map((queue) => queue.depth)).toEqual([0]);
      expect(cloud.queues['InstanceEventsQueue']?.stats()).toMatchObject({ redriven: 0 });
      expect(cloud.deadLetters.entries()).toEqual([]);

      // A malformed event the rule still matches: logged with its ids, retried alone, then dead-lettered as sent.
      const malformed = {
        version: '0' as const,
        id: 'malformed-state-change-1',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: cloud.accountId,
        time: '2026-10-02T14:05:11Z',
        region: cloud.region,
        resources: [],
        detail: { 'instance-id': 'not-an-instance', state: 'running' },
      };
      cloud.bus.put(malformed);
      expect(await cloud.settle(30_000)).toBe(true);

      const letters = cloud.deadLetters.entries();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        kind: 'sqs-redrive',
        functionKey: 'instanceEvents',
        message: { body: JSON.stringify(malformed), receiveCount: 3, lastError: { errorType: 'BatchItemFailure' } },
        record: { requestPayload: { id: 'malformed-state-change-1' } },
      });
      const invalid = logs.filter((line) => line.functionKey === 'instanceEvents' && line.json?.['message'] === 'invalid event');
      expect(invalid).toHaveLength(3);
      expect(invalid[0]?.json).toMatchObject({
        eventId: 'malformed-state-change-1',
        messageId: letters[0]?.message?.messageId,
        receiveCount: '1',
      });
      expect(Object.values(cloud.queues).map((queue) => queue.depth)).toEqual([0]);
    } finally {
      ec2.destroy();
      await cloud.stop();
    }
  });
});

/** The fixture stack's handlers all point at tests/local/fixtures/handlers/echo: bundle it where they look under `root`. */
async function bundleEchoHandler(root: string): Promise<void> {
  await build({
    entryPoints: [path.join(__dirname, 'fixtures/handlers/echo.ts')],
    outfile: path.join(root, 'tests/local/fixtures/handlers/echo.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'silent',
  });
}
