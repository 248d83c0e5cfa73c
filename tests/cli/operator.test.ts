/**
 * The operator's promises, through the installed entry point (bin/mirrorctl.cjs) against the simulator and dynalite:
 * configuration problems are their own finding (exit 3), distinct from drift (exit 1); errors name what the user
 * controls; options go before or after the command; unknown instances are "not found"; outcome events EventBridge
 * did not take are pending, not failures.
 */
import { createServer } from 'node:net';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import type { PlanReport } from '../../cli/views/plan';
import type { ReconcileReport } from '../../cli/views/reconcile';
import type { StatusReport } from '../../cli/views/status';
import { Ec2Seeder, historyOf, sessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';
import { cloudEnvironment, mirrorctl } from './bin-run';

const TAG = { 'traffic-mirror': 'true' };
const MISSING_TARGET = 'tmt-0000000000000000a';
const MISSING_FILTER = 'tmf-0000000000000000b';

let cloud: TestCloud;
let seed: Ec2Seeder;
let targetId: string;
let filterId: string;
let env: Record<string, string>;

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  [targetId, filterId] = await Promise.all([seed.interfaceTarget(), seed.filter()]);
  env = cloudEnvironment(cloud, { LEDGER_TABLE_NAME: cloud.table.tableName, MIRROR_TARGET_IDS: targetId, MIRROR_FILTER_ID: filterId });
});

afterAll(async () => {
  await cloud?.stop();
});

/** A loopback port nothing listens on: an endpoint that cannot be reached. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('configuration problems (exit 3)', () => {
  it('plan reports a filter that does not exist as a configuration problem, exits 3 and writes nothing', async () => {
    const instance = await seed.launch({ tags: TAG });

    const { code, stdout } = await mirrorctl(['plan', '--json', '--instance', instance.instanceId], {
      ...env,
      MIRROR_FILTER_ID: MISSING_FILTER,
    });

    expect(code).toBe(3);
    const report = JSON.parse(stdout) as PlanReport;
    expect(report.findings.configuration).toEqual([
      expect.objectContaining({ kind: 'filter-not-found', setting: 'MIRROR_FILTER_ID', resourceId: MISSING_FILTER }),
    ]);
    expect(sessionsOn(cloud, instance.eniIds)).toEqual([]);
  });

  it('status exits 3, not 0, when the target pool does not exist, even with no drift', async () => {
    const { code, stdout } = await mirrorctl(['status', '--targets', MISSING_TARGET], env);

    expect(code).toBe(3);
    expect(stdout).toContain(
      `configuration target-not-found: traffic mirror target ${MISSING_TARGET} (MIRROR_TARGET_IDS / --targets) is not visible to this account in eu-west-1`,
    );
  });

  it('status flags a target whose network interface belongs to an instance tagged for mirroring', async () => {
    const host = await seed.launch({ type: 'c5.large', tags: TAG });
    const sourceTarget = await seed.interfaceTargetOn(host.eniIds[0] as string);

    const { code, stdout } = await mirrorctl(
      ['status', '--json', '--instance', host.instanceId, '--targets', `${targetId},${sourceTarget}`],
      env,
    );

    expect(code).toBe(3);
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.findings.configuration).toEqual([expect.objectContaining({ kind: 'target-is-mirror-source', resourceId: sourceTarget })]);
  });

  it('keeps drift (exit 1) apart from configuration problems: a usable configuration with drift exits 1', async () => {
    const instance = await seed.launch({ tags: TAG });

    const { code, stdout } = await mirrorctl(['status', '--json', '--instance', instance.instanceId], env);

    expect(code).toBe(1);
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.findings.configuration).toEqual([]);
    expect(report.drift.byKind['eligible-eni-unmirrored']).toBe(1);
  });
});

describe('instances, options and errors', () => {
  it('says "not found" for an instance id nobody knows and exits 3', async () => {
    const { code, stdout } = await mirrorctl(['plan', '--instance', 'i-0123456789abcdef0'], env);

    expect(code).toBe(3);
    expect(stdout).toContain('not found i-0123456789abcdef0: no such instance in eu-west-1');
  });

  it('says "not found" for an unknown instance in reconcile too, exits 3 and writes nothing for it', async () => {
    const { code, stdout } = await mirrorctl(['reconcile', '--json', '--instance', 'i-0fedcba9876543210'], env);

    expect(code).toBe(3);
    expect((JSON.parse(stdout) as ReconcileReport).notFound).toEqual(['i-0fedcba9876543210']);
    expect(await historyOf(cloud, 'i-0fedcba9876543210')).toEqual([]);
  });

  it('takes options before the command as well as after it', async () => {
    const instance = await seed.launch({ tags: TAG });

    const before = await mirrorctl(['--json', '--instance', instance.instanceId, '--targets', targetId, 'plan'], env);
    const after = await mirrorctl(['plan', '--json', '--instance', instance.instanceId, '--targets', targetId], env);

    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
  });

  it('prints its version', async () => {
    const { code, stdout } = await mirrorctl(['--version'], env);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+ \(Node\.js v24/);
  });

  it('names the profile when it has no credentials, never an internal class, and exits 3', async () => {
    // The environment's static keys do not stand in for the profile the user asked for.
    const { code, stdout, stderr } = await mirrorctl(['status', '--profile', 'nosuchprofile'], env);

    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mirrorctl: no AWS credentials for profile nosuchprofile, Region eu-west-1/);
    expect(stderr).not.toMatch(/PermanentError|RetryableError|CredentialsProviderError/);
  });

  it('names the profile and the Region when EC2 refuses access, and exits 3', async () => {
    // EC2's answer to a role without ec2:DescribeInstances (HTTP 403).
    const refuse = cloud.sim.hook('DescribeInstances', 'before', () => {
      throw new Ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    });
    try {
      const { code, stderr } = await mirrorctl(['status', '--instance', 'i-0123456789abcdef0'], env);

      expect(code).toBe(3);
      expect(stderr).toMatch(/^mirrorctl: AWS refused access \(UnauthorizedOperation\) for profile \(default\), Region eu-west-1: /);
      expect(stderr).not.toMatch(/PermanentError|RetryableError/);
    } finally {
      refuse();
    }
  });

  it('says AWS cannot be reached, with the Region, when EC2 is unreachable (exit 1)', async () => {
    const { code, stderr } = await mirrorctl(['plan'], { ...env, AWS_ENDPOINT_URL_EC2: await closedPort(), AWS_MAX_ATTEMPTS: '1' });

    expect(code).toBe(1);
    expect(stderr).toMatch(/^mirrorctl: cannot reach AWS \(ECONNREFUSED\) for profile \(default\), Region eu-west-1/);
    expect(stderr).not.toMatch(/PermanentError|RetryableError/);
  });
});

describe('reconcile with an unreachable event bus', () => {
  it('makes the changes, reports their outcome events as pending rather than failed, and exits 0', async () => {
    const instance = await seed.launch({ tags: TAG, interfaces: 2 });

    const { code, stdout } = await mirrorctl(['reconcile', '--json', '--instance', instance.instanceId], {
      ...env,
      AWS_ENDPOINT_URL_EVENTBRIDGE: await closedPort(),
    });

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReconcileReport;
    expect(report.totals).toMatchObject({ attach: 2, fail: 0 });
    expect(report.pendingEvents.count).toBe(2);
    expect(sessionsOn(cloud, instance.eniIds)).toHaveLength(2);
    expect((await historyOf(cloud, instance.instanceId)).filter((entry) => entry.action === 'attach')).toHaveLength(2);
  });

  it('announces the pending events on a later run, once each, under the outcomeId the change was recorded with', async () => {
    const instance = await seed.launch({ tags: TAG, interfaces: 1 });
    await mirrorctl(['reconcile', '--json', '--instance', instance.instanceId], {
      ...env,
      AWS_ENDPOINT_URL_EVENTBRIDGE: await closedPort(),
    });
    const kept = await outboxOf(cloud, instance.instanceId);
    expect(kept).toHaveLength(1);
    await ageOutbox(cloud, kept, 10 * 60_000);
    cloud.bus.clear();

    const { code, stdout } = await mirrorctl(['reconcile', '--json', '--instance', instance.instanceId], env);

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as ReconcileReport;
    expect(report.flushedEvents).toBe(1);
    expect(report.totals).toMatchObject({ attach: 0, keep: 1 });
    const announced = cloud.bus.events.filter((event) => (event.detail as { instanceId?: string }).instanceId === instance.instanceId);
    expect(announced.map((event) => (event.detail as { outcomeId?: string }).outcomeId)).toEqual([kept[0]?.outcomeId]);
    expect(await outboxOf(cloud, instance.instanceId)).toEqual([]);
  });
});

/** The outbox items that announce this instance's changes. */
async function outboxOf(testCloud: TestCloud, instanceId: string): Promise<Record<string, unknown>[]> {
  const answer = await testCloud.documents.send(
    new QueryCommand({
      TableName: testCloud.table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'outbox' },
    }),
  );
  return (answer.Items ?? []).filter((item) => item.instanceId === instanceId);
}

/** Moves outbox items back in time, as if the run that wrote them had ended long ago (flushes wait for that). */
async function ageOutbox(testCloud: TestCloud, items: readonly Record<string, unknown>[], byMs: number): Promise<void> {
  for (const item of items) {
    const at = new Date(Date.parse(String(item.at)) - byMs).toISOString();
    await testCloud.documents.send(new DeleteCommand({ TableName: testCloud.table.tableName, Key: { pk: item.pk, sk: item.sk } }));
    await testCloud.documents.send(
      new PutCommand({ TableName: testCloud.table.tableName, Item: { ...item, at, sk: `${at}#${String(item.outcomeId)}` } }),
    );
  }
}
