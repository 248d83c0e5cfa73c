/**
 * mirrorctl status: ENIs, sessions, ledger slots and drift per instance, read live from the simulator and dynalite.
 * Drift is what reconcile would change, so reconcile must bring status back to exit 0.
 */
import { DeleteTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import { run } from '../../cli/main';
import type { DriftKind, StatusReport } from '../../cli/views/status';
import { Ec2Seeder, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { captureIo } from './cli-io';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let poolTargetIds: string[];
let filterId: string;

async function status(...args: string[]) {
  const io = captureIo();
  const exitCode = await run(['status', '--json', ...args], io);
  return { exitCode, report: io.json<StatusReport>() };
}

function driftKinds(report: StatusReport, instanceId: string): DriftKind[] {
  return (report.instances.find((instance) => instance.instanceId === instanceId)?.drift ?? []).map((drift) => drift.kind).sort();
}

async function reconcile(): Promise<number> {
  return run(['reconcile'], captureIo());
}

beforeAll(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  poolTargetIds = [await seed.loadBalancerTarget()];
  setFunctionEnvironment(cloud, { targetIds: poolTargetIds, filterId });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('mirrorctl status', () => {
  it('flags an eligible ENI left unmirrored and a hand-made session missing from the ledger, and exits 1', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG, interfaces: 2 });
    const handMade = await seed.handMadeSession(instance.eniIds[0] as string, poolTargetIds[0] as string, filterId, 1);

    const { exitCode, report } = await status();

    expect(exitCode).toBe(1);
    expect(driftKinds(report, instance.instanceId)).toEqual(['eligible-eni-unmirrored', 'eligible-eni-unmirrored', 'session-not-in-ledger']);
    const eni = report.instances[0]?.enis.find((candidate) => candidate.eniId === instance.eniIds[0]);
    expect(eni?.sessions).toEqual([expect.objectContaining({ sessionId: handMade, sessionNumber: 1, owner: 'foreign', recorded: false })]);
    expect(report.drift.total).toBe(3);
  });

  it('shows our sessions and the hand-made one recorded in the ledger after reconcile, with no drift and exit 0', async () => {
    expect(await reconcile()).toBe(0);

    const { exitCode, report } = await status();

    expect(exitCode).toBe(0);
    expect(report.drift.total).toBe(0);
    const [instance] = report.instances;
    const sessions = instance?.enis.flatMap((eni) => eni.sessions) ?? [];
    expect(sessions.map((session) => session.owner).sort()).toEqual(['foreign', 'managed', 'managed']);
    expect(sessions.every((session) => session.recorded)).toBe(true);
    const slots = instance?.enis.flatMap((eni) => eni.ledger?.slots ?? []) ?? [];
    expect(slots.map((slot) => `${slot.owner}:${slot.state}`).sort()).toEqual(['foreign:active', 'managed:active', 'managed:active']);
    expect(report.targets).toEqual([{ targetId: poolTargetIds[0], exists: true, kind: 'network-load-balancer', sourceLimit: null, ledgerSources: 2 }]);
  });

  it('flags our sessions on a stopped instance as unwanted, and ledger slots whose ENI went with a terminated instance', async () => {
    const stopping = await seed.launch({ type: 'm5.large', tags: TAG });
    const terminating = await seed.launch({ type: 'm5.large', tags: TAG });
    expect(await reconcile()).toBe(0);
    await seed.stop(stopping.instanceId);
    await seed.terminate(terminating.instanceId);

    const { exitCode, report } = await status();

    expect(exitCode).toBe(1);
    expect(driftKinds(report, stopping.instanceId)).toEqual(['unwanted-managed-session']);
    expect(driftKinds(report, terminating.instanceId)).toEqual(['ledger-slot-without-session']);
    const gone = report.instances.find((instance) => instance.instanceId === terminating.instanceId);
    expect(gone?.enis).toEqual([expect.objectContaining({ eniId: terminating.eniIds[0], attached: false, sessions: [] })]);

    expect(await reconcile()).toBe(0);
    const after = await status();
    expect(after.report.drift.total).toBe(0);
    expect(after.exitCode).toBe(0);
    expect(sessionsOn(cloud, stopping.eniIds)).toEqual([]);
  });

  it('flags the ledger slot of a hand-made session deleted by hand', async () => {
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });
    const handMade = await seed.handMadeSession(instance.eniIds[0] as string, poolTargetIds[0] as string, filterId, 1);
    expect(await reconcile()).toBe(0);
    await cloud.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: handMade }));

    const { exitCode, report } = await status('--instance', instance.instanceId);

    expect(exitCode).toBe(1);
    expect(report.instances[0]?.drift).toEqual([expect.objectContaining({ kind: 'ledger-slot-without-session', eniId: instance.eniIds[0], sessionId: handMade })]);
  });

  it('limits the report to --instance', async () => {
    const other = await seed.launch({ type: 'm5.large', tags: TAG });

    const { report } = await status('--instance', other.instanceId);

    expect(report.instances.map((instance) => instance.instanceId)).toEqual([other.instanceId]);
    expect(driftKinds(report, other.instanceId)).toEqual(['eligible-eni-unmirrored']);
  });
});
