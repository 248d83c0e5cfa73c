/**
 * mirrorctl plan: a dry run from live reads (real SDK over HTTP against the EC2 simulator and dynalite) that
 * writes nothing anywhere.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { run } from '../../cli/main';
import type { PlanReport } from '../../cli/views/plan';
import { Ec2Seeder, type Launched, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { captureIo } from './cli-io';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let poolTargetIds: string[];
let filterId: string;
let tagged: Launched;
let unsupported: Launched;
let untagged: Launched;

async function wholeTable(): Promise<Record<string, unknown>[]> {
  const answer = await cloud.documents.send(new ScanCommand({ TableName: cloud.table.tableName, ConsistentRead: true }));
  return (answer.Items ?? []).sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
}

async function plan(...args: string[]) {
  const io = captureIo();
  const exitCode = await run(['plan', '--json', ...args], io);
  return { exitCode, report: io.json<PlanReport>(), io };
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  poolTargetIds = [await seed.loadBalancerTarget()];
  setFunctionEnvironment(cloud, { targetIds: poolTargetIds, filterId });
  tagged = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2 });
  unsupported = await seed.launch({ type: 'm6i.large', tags: TAG });
  untagged = await seed.launch({ type: 'm5.large' });
  // A session made by hand on the tagged instance: planning must count it and leave it alone.
  await seed.handMadeSession(tagged.eniIds[0] as string, poolTargetIds[0] as string, filterId, 1);
});

afterAll(async () => {
  await cloud?.stop();
});

describe('mirrorctl plan', () => {
  it('plans an attach for every eligible ENI of a tagged instance and a refusal for an unsupported type, by default over the sweep scope', async () => {
    const { exitCode, report } = await plan();

    expect(exitCode).toBe(0);
    expect(report.scope.source).toBe('sweep');
    expect([...report.scope.instanceIds].sort()).toEqual([tagged.instanceId, unsupported.instanceId].sort());
    const taggedPlan = report.instances.find((instance) => instance.instanceId === tagged.instanceId);
    const attaches = taggedPlan?.decisions.filter((decision) => decision.action === 'attach') ?? [];
    expect(attaches.map((decision) => decision.eniId).sort()).toEqual([...tagged.eniIds].sort());
    for (const decision of attaches) {
      expect(decision).toMatchObject({ reason: 'eligible', targetCandidates: poolTargetIds, filterId });
    }
    // The hand-made session holds number 1 on the first ENI: the plan avoids it.
    const onFirst = attaches.find((decision) => decision.eniId === tagged.eniIds[0]);
    if (onFirst?.action !== 'attach') throw new Error('no attach planned on the first ENI');
    expect(onFirst.sessionNumberCandidates.length).toBeGreaterThan(0);
    expect(onFirst.sessionNumberCandidates).not.toContain(1);
    const unsupportedPlan = report.instances.find((instance) => instance.instanceId === unsupported.instanceId);
    expect(unsupportedPlan?.decisions).toEqual([expect.objectContaining({ action: 'refuse', reason: 'unsupported-instance-type' })]);
    expect(report.totals).toMatchObject({ attach: 2, detach: 0, refuse: 1 });
  });

  it('writes nothing: no mutating EC2 call, the ledger table unchanged, no outcome event', async () => {
    // A mirrored instance that has since stopped: the ledger holds its slots and the plan is to detach them.
    const stopped = await seed.launch({ type: 'm5.large', tags: TAG });
    expect(await run(['reconcile', '--instance', stopped.instanceId], captureIo())).toBe(0);
    await seed.stop(stopped.instanceId);
    const before = await wholeTable();
    expect(before.filter((item) => String(item.pk).startsWith('eni#'))).toHaveLength(1);
    const sessionsBefore = cloud.sim.snapshot().sessions;
    cloud.sim.resetCalls();
    cloud.bus.clear();

    const { exitCode, report } = await plan();

    expect(exitCode).toBe(0);
    expect(report.totals).toMatchObject({ attach: 2, detach: 1 });
    const actions = Object.keys(cloud.sim.calls());
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => !action.startsWith('Describe'))).toEqual([]);
    expect(await wholeTable()).toEqual(before);
    expect(cloud.bus.events).toEqual([]);
    expect(cloud.sim.snapshot().sessions).toEqual(sessionsBefore);
  });

  it('plans only the instances named with --instance, tagged or not', async () => {
    const { exitCode, report } = await plan('--instance', untagged.instanceId, '--instance', unsupported.instanceId);

    expect(exitCode).toBe(0);
    expect(report.scope).toEqual({ source: 'instances', instanceIds: [untagged.instanceId, unsupported.instanceId] });
    const untaggedPlan = report.instances.find((instance) => instance.instanceId === untagged.instanceId);
    expect(untaggedPlan).toMatchObject({ tagged: false, state: 'running' });
    expect(untaggedPlan?.decisions.every((decision) => decision.action === 'skip' && decision.reason === 'not-tagged')).toBe(true);
  });

  it('follows --tag: another opt-in tag changes which instances are in scope', async () => {
    const other = await seed.launch({ type: 'm5.large', tags: { team: 'blue' } });

    const { exitCode, report } = await plan('--tag', 'team=blue');

    expect(exitCode).toBe(0);
    // In scope: instances with the other tag (plus anything the ledger remembers), not those with the default tag.
    expect(report.scope.instanceIds).toContain(other.instanceId);
    expect(report.scope.instanceIds).not.toContain(tagged.instanceId);
    const otherPlan = report.instances.find((instance) => instance.instanceId === other.instanceId);
    expect(otherPlan).toMatchObject({ tagged: true });
    expect(otherPlan?.decisions).toEqual([expect.objectContaining({ action: 'attach', eniId: other.eniIds[0] })]);
  });

  it('prints a table without colour codes when stdout is not a terminal, and only JSON with --json', async () => {
    const human = captureIo();
    await run(['plan'], human);
    const json = captureIo();
    await run(['plan', '--json'], json);

    expect(human.stdoutText()).toContain(tagged.eniIds[0]);
    expect(human.stdoutText()).not.toContain('\u001b[');
    expect(() => JSON.parse(json.stdoutText())).not.toThrow();
  });

  it('exits 3 naming the table and the Region, and nothing on stdout, when the ledger table does not exist', async () => {
    const io = captureIo();

    const exitCode = await run(['plan', '--json', '--table', 'no-such-table'], io);

    expect(exitCode).toBe(3);
    expect(io.stdoutText()).toBe('');
    expect(io.stderrText()).toMatch(/^mirrorctl: ledger table "no-such-table" not found in Region eu-west-1/);
    expect(io.stderrText()).not.toMatch(/PermanentError|RetryableError/);
  });

  it('colours a terminal, unless NO_COLOR is set, and never colours --json', async () => {
    const terminal = captureIo({ tty: true, env: { ...process.env, NO_COLOR: undefined } });
    await run(['plan'], terminal);
    const noColor = captureIo({ tty: true, env: { ...process.env, NO_COLOR: '1' } });
    await run(['plan'], noColor);
    const json = captureIo({ tty: true, env: { ...process.env, NO_COLOR: undefined } });
    await run(['plan', '--json'], json);

    expect(terminal.stdoutText()).toContain('\u001b[32mattach');
    expect(noColor.stdoutText()).not.toContain('\u001b[');
    expect(json.stdoutText()).not.toContain('\u001b[');
    expect(json.json<PlanReport>().totals.attach).toBeGreaterThan(0);
  });
});
