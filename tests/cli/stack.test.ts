/**
 * mirrorctl --stack / --stage after `sls deploy`: the configuration comes from the deployed stack, read with the real
 * SDK from a loopback CloudFormation + Lambda (local/stack-api) that serves the template `sls package` wrote with this
 * deployment's --param values. Flags and variables override what the stack says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PlanReport } from '../../cli/views/plan';
import type { StatusReport } from '../../cli/views/status';
import { type StackApi, startStackApi } from '../../local/stack-api/server';
import { PACKAGE_HOOK_TIMEOUT_MS, type PackagedStack, packageWithParams, TEMPLATE_FILE } from '../support/packaged-stack';
import { Ec2Seeder, sessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';
import { cloudEnvironment, mirrorctl } from './bin-run';

const REPO = path.join(__dirname, '..', '..');
const STACK = 'vpc-mirror-orchestrator-dev';
const OLDER_STACK = 'vpc-mirror-orchestrator-older';
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let seed: Ec2Seeder;
let packaged: PackagedStack;
let stackApi: StackApi;
let targetId: string;
let otherTargetId: string;
let filterId: string;
let env: Record<string, string>;

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  // Network-interface targets: on this base the simulator gives NLB sessions AWS's 8500-byte PacketLength default,
  // which converge reads as changed settings (tests/cli/status.test.ts fails on it too).
  [targetId, otherTargetId, filterId] = await Promise.all([seed.interfaceTarget(), seed.interfaceTarget(), seed.filter()]);
  // `sls deploy --param targetIds=... --param filterId=...` packages exactly this template before CloudFormation runs it.
  packaged = await packageWithParams(REPO, { targetIds: targetId, filterId });
  const template = JSON.parse(readFileSync(path.join(packaged.directory, TEMPLATE_FILE), 'utf8'));
  // The same deployment as a stack made before the SweepFunctionName output existed.
  const { SweepFunctionName: _, ...olderOutputs } = template.Outputs;
  stackApi = await startStackApi([
    { stackName: STACK, region: 'eu-west-1', accountId: '111122223333', physicalIds: { LedgerTable: cloud.table.tableName }, template },
    {
      stackName: OLDER_STACK,
      region: 'eu-west-1',
      accountId: '111122223333',
      physicalIds: { LedgerTable: cloud.table.tableName },
      template: { ...template, Outputs: olderOutputs },
    },
  ]);
  env = cloudEnvironment(cloud, { AWS_ENDPOINT_URL_CLOUDFORMATION: stackApi.url, AWS_ENDPOINT_URL_LAMBDA: stackApi.url });
}, PACKAGE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stackApi?.stop();
  packaged?.release();
  await cloud?.stop();
});

describe('mirrorctl --stack', () => {
  it('plans with the pool, filter and tag of the deployed stack when no variable is set', async () => {
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' } });

    const { code, stdout } = await mirrorctl(['plan', '--stack', STACK, '--json', '--instance', instance.instanceId], env);

    expect(code).toBe(0);
    const [attach] = (JSON.parse(stdout) as PlanReport).instances[0]?.decisions ?? [];
    expect(attach).toMatchObject({ action: 'attach', filterId, targetCandidates: [targetId] });
    expect(stackApi.calls.DescribeStacks).toBeGreaterThan(0);
    expect(stackApi.calls.GetFunctionConfiguration).toBeGreaterThan(0);
  });

  it("reconciles into the stack's ledger table with its owner id, so status --stage sees our sessions and no drift", async () => {
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' } });

    const reconciled = await mirrorctl(['--stage', 'dev', 'reconcile', '--instance', instance.instanceId], env);
    const status = await mirrorctl(['status', '--json', '--instance', instance.instanceId, '--stage', 'dev'], env);

    expect(reconciled.code).toBe(0);
    const [session] = sessionsOn(cloud, instance.eniIds);
    expect(session?.tags[OWNER_TAG]).toBe(STACK);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.instances[0]?.enis[0]?.sessions).toEqual([expect.objectContaining({ owner: 'managed', recorded: true, targetId })]);
    expect(report.drift.total).toBe(0);
  });

  it('lets a flag and a variable override what the stack says', async () => {
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' } });
    const args = ['plan', '--stack', STACK, '--json', '--instance', instance.instanceId];

    const flagged = await mirrorctl([...args, '--targets', otherTargetId], env);
    const variable = await mirrorctl(args, { ...env, MIRROR_TARGET_IDS: otherTargetId });

    for (const run of [flagged, variable]) {
      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as PlanReport).instances[0]?.decisions[0]).toMatchObject({ targetCandidates: [otherTargetId] });
    }
  });

  it('finds the sweep function of an older stack without the SweepFunctionName output through ListStackResources', async () => {
    const instance = await seed.launch({ tags: { 'traffic-mirror': 'true' } });

    const { code, stdout } = await mirrorctl(['plan', '--stack', OLDER_STACK, '--json', '--instance', instance.instanceId], env);

    expect(code).toBe(0);
    expect((JSON.parse(stdout) as PlanReport).instances[0]?.decisions[0]).toMatchObject({
      action: 'attach',
      filterId,
      targetCandidates: [targetId],
    });
    expect(stackApi.calls.ListStackResources).toBeGreaterThan(0);
  });

  it('exits 3 naming the stack and the Region when the stack does not exist, and reads nothing else', async () => {
    const { code, stdout, stderr } = await mirrorctl(['status', '--stage', 'prod'], env);

    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe('mirrorctl: stack "vpc-mirror-orchestrator-prod" not found in eu-west-1: check --stack / --stage and --region\n');
  });

  it('exits 2 when both --stack and --stage are given', async () => {
    const { code, stderr } = await mirrorctl(['plan', '--stack', STACK, '--stage', 'dev'], env);

    expect(code).toBe(2);
    expect(stderr).toContain('--stack or --stage');
  });
});
