/**
 * mirrorctl reconcile: the Lambdas' converge run from the CLI against the simulator and dynalite; the final state on
 * EC2, in the ledger and on the event bus is what is checked.
 */
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { run } from '../../cli/main';
import type { ReconcileReport } from '../../cli/views/reconcile';
import {
  Ec2Seeder,
  historyOf,
  ledgerItem,
  sessionsOn,
  setFunctionEnvironment,
  startTestCloud,
  type TestCloud,
} from '../support/test-cloud';
import { captureIo } from './cli-io';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

let cloud: TestCloud;
let seed: Ec2Seeder;
let poolTargetIds: string[];
let filterId: string;

async function reconcile(args: string[] = [], env?: Record<string, string | undefined>) {
  const io = captureIo(env ? { env: { ...process.env, ...env } } : {});
  const exitCode = await run(['reconcile', '--json', ...args], io);
  return { exitCode, report: io.json<ReconcileReport>(), io };
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  poolTargetIds = [await seed.interfaceTarget('eu-west-1a')];
  setFunctionEnvironment(cloud, { targetIds: poolTargetIds, filterId });
});

afterAll(async () => {
  await cloud?.stop();
});

beforeEach(() => cloud.bus.clear());

describe('mirrorctl reconcile', () => {
  it('mirrors every eligible ENI through the ledger, records history and publishes outcomes under a mirrorctl trigger id', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2, zone: 'eu-west-1a' });

    const { exitCode, report } = await reconcile();

    expect(exitCode).toBe(0);
    expect(report.triggerEventId).toMatch(/^mirrorctl-[0-9a-f-]{36}$/);
    expect(report.totals).toMatchObject({ attach: 2, fail: 0 });
    const sessions = sessionsOn(cloud, instance.eniIds);
    expect(sessions.map((session) => session.networkInterfaceId).sort()).toEqual([...instance.eniIds].sort());
    for (const session of sessions) {
      expect(session.tags[OWNER_TAG]).toBe('vpc-mirror-orchestrator');
      const item = (await ledgerItem(cloud, `eni#${session.networkInterfaceId}`, 'slots')) as {
        slots: Record<string, { state: string; sessionId: string }>;
      };
      expect(item.slots[String(session.sessionNumber)]).toMatchObject({ state: 'active', sessionId: session.trafficMirrorSessionId });
    }
    const history = await historyOf(cloud, instance.instanceId);
    expect(history.filter((entry) => entry.action === 'attach').map((entry) => entry.triggerEventId)).toEqual([
      report.triggerEventId,
      report.triggerEventId,
    ]);
    const attached = cloud.bus.events.filter((event) => event.detailType === 'Mirror Session Attached');
    expect(attached.map((event) => event.detail.triggerEventId)).toEqual([report.triggerEventId, report.triggerEventId]);
  });

  it('is idempotent: a second run keeps every session and creates none', async () => {
    const before = cloud.sim.snapshot().sessions;
    cloud.sim.resetCalls();

    const { exitCode, report } = await reconcile();

    expect(exitCode).toBe(0);
    expect(report.totals).toMatchObject({ attach: 0, detach: 0, keep: before.length, fail: 0 });
    expect(cloud.sim.snapshot().sessions).toEqual(before);
    expect(cloud.sim.calls().CreateTrafficMirrorSession).toBeUndefined();
  });

  it('reports each instance EC2 refuses as a refusal with its reason, while the other instances converge', async () => {
    const first = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const second = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const good = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const refusedEnis = [...first.eniIds, ...second.eniIds];
    const remove = cloud.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      if (refusedEnis.includes(params.NetworkInterfaceId ?? ''))
        throw new Ec2Error('InvalidParameterValue', 'The packet length is not valid.');
    });

    const { exitCode, report, io } = await reconcile([
      '--instance',
      first.instanceId,
      '--instance',
      second.instanceId,
      '--instance',
      good.instanceId,
    ]);
    remove();

    expect(exitCode).toBe(0);
    expect(report.totals).toMatchObject({ attach: 1, refuse: 2, fail: 0 });
    const refusals = report.decisions.filter((record) => record.action === 'refuse');
    expect(refusals.map((record) => record.instanceId).sort()).toEqual([first.instanceId, second.instanceId].sort());
    for (const refusal of refusals)
      expect(refusal).toMatchObject({ reason: 'invalid-parameter', detail: expect.stringMatching(/InvalidParameterValue/) });
    expect(sessionsOn(cloud, refusedEnis)).toEqual([]);
    expect(sessionsOn(cloud, good.eniIds)).toHaveLength(1);
    // Nothing reserved stays behind: the ledger holds no slot for the ENIs EC2 refused.
    expect(await ledgerItem(cloud, `eni#${first.eniIds[0]}`, 'slots')).toBeUndefined();
    expect(io.stderrText()).toBe('');
  });

  it('reports each instance that fails as a failure and exits 1, while the other instances converge', async () => {
    const first = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const good = await seed.launch({ type: 'm5.large', tags: TAG, zone: 'eu-west-1a' });
    const remove = cloud.sim.hook('CreateTrafficMirrorSession', 'before', (params) => {
      if (params.NetworkInterfaceId === first.eniIds[0]) throw new Ec2Error('InternalError', 'An internal error has occurred.', 500);
    });

    const { exitCode, report } = await reconcile(['--instance', first.instanceId, '--instance', good.instanceId]);
    remove();

    expect(exitCode).toBe(1);
    expect(report.totals).toMatchObject({ attach: 1, fail: 1 });
    expect(report.decisions.find((record) => record.action === 'fail')).toMatchObject({
      instanceId: first.instanceId,
      detail: expect.stringMatching(/InternalError/),
    });
    expect(sessionsOn(cloud, first.eniIds)).toEqual([]);
    expect(sessionsOn(cloud, good.eniIds)).toHaveLength(1);
  });

  it('draws a progress bar on a terminal stderr for a large fleet, and stdout still holds only the JSON', async () => {
    for (let i = 0; i < 20; i += 1) await seed.launch({ type: 'm5.large', tags: { team: 'fleet' }, zone: 'eu-west-1a' });
    const io = captureIo({ tty: true, env: { ...process.env, NO_COLOR: '1' } });

    const exitCode = await run(['reconcile', '--json', '--tag', 'team=fleet', '--targets', await seed.loadBalancerTarget('fleet')], io);

    expect(exitCode).toBe(0);
    expect(io.json<ReconcileReport>().totals.attach).toBe(20);
    expect(io.stderrText()).toMatch(/converging .* \d+\/\d+ instances/);
  });
});
