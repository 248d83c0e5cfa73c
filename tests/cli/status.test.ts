/**
 * mirrorctl status: ENIs, sessions, ledger slots and drift per instance, read live from the simulator and dynalite.
 * Drift is what reconcile would change, so reconcile must bring status back to exit 0.
 */
import { CreateTrafficMirrorSessionCommand, DeleteTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
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

/** The ENI's ledger item as a crashed attach leaves it: one managed slot still 'reserved'. */
async function putReservedSlot(instanceId: string, eniId: string, reservationId: string, updatedAt: Date): Promise<void> {
  await cloud.documents.send(
    new PutCommand({
      TableName: cloud.table.tableName,
      Item: {
        pk: `eni#${eniId}`,
        sk: 'slots',
        gsi1pk: `instance#${instanceId}`,
        gsi1sk: `eni#${eniId}`,
        eniId,
        instanceId,
        slots: {
          '1': {
            sessionNumber: 1,
            owner: 'managed',
            state: 'reserved',
            targetId: poolTargetIds[0],
            reservationId,
            instanceId,
            updatedAt: updatedAt.toISOString(),
          },
        },
        version: 1,
        updatedAt: updatedAt.toISOString(),
      },
    }),
  );
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
    expect(driftKinds(report, instance.instanceId)).toEqual([
      'eligible-eni-unmirrored',
      'eligible-eni-unmirrored',
      'session-not-in-ledger',
    ]);
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
    // A load balancer target has no source limit: attaches do not count it, the sweep does (none ran here).
    expect(report.targets).toEqual([
      { targetId: poolTargetIds[0], exists: true, kind: 'network-load-balancer', sourceLimit: null, ledgerSources: 0 },
    ]);
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
    expect(report.instances[0]?.drift).toEqual([
      expect.objectContaining({ kind: 'ledger-slot-without-session', eniId: instance.eniIds[0], sessionId: handMade }),
    ]);
  });

  it('flags a reservation that never became a session, and reconcile releases it', async () => {
    // Reserved ten minutes ago, then the process died before CreateTrafficMirrorSession.
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });
    await putReservedSlot(instance.instanceId, instance.eniIds[0] as string, 'r-crashed-before-create', new Date(Date.now() - 10 * 60_000));

    const { exitCode, report } = await status('--instance', instance.instanceId);

    expect(exitCode).toBe(1);
    expect(driftKinds(report, instance.instanceId)).toEqual(['eligible-eni-unmirrored', 'stale-reservation']);

    expect(await reconcile()).toBe(0);
    const after = await status('--instance', instance.instanceId);
    expect(after.exitCode).toBe(0);
    expect(after.report.instances[0]?.enis[0]?.ledger?.slots).toEqual([expect.objectContaining({ state: 'active', owner: 'managed' })]);
  });

  it('flags our session whose slot is still reserved, and reconcile activates the slot', async () => {
    // The session was created with its reservation tag, then the process died before marking the slot active.
    const instance = await seed.launch({ type: 'm5.large', tags: TAG });
    const eniId = instance.eniIds[0] as string;
    const reservationId = 'r-crashed-before-activate';
    const created = await cloud.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: poolTargetIds[0],
        TrafficMirrorFilterId: filterId,
        SessionNumber: 1,
        ClientToken: reservationId,
        TagSpecifications: [
          {
            ResourceType: 'traffic-mirror-session',
            Tags: [
              { Key: 'vpc-mirror-orchestrator:owner', Value: 'vpc-mirror-orchestrator' },
              { Key: 'vpc-mirror-orchestrator:instance-id', Value: instance.instanceId },
              { Key: 'vpc-mirror-orchestrator:reservation', Value: reservationId },
            ],
          },
        ],
      }),
    );
    const sessionId = created.TrafficMirrorSession?.TrafficMirrorSessionId;
    await putReservedSlot(instance.instanceId, eniId, reservationId, new Date());

    const { exitCode, report } = await status('--instance', instance.instanceId);

    expect(exitCode).toBe(1);
    expect(report.instances[0]?.drift).toEqual([expect.objectContaining({ kind: 'reservation-not-activated', eniId, sessionId })]);

    expect(await reconcile()).toBe(0);
    const after = await status('--instance', instance.instanceId);
    expect(after.exitCode).toBe(0);
    expect(after.report.instances[0]?.enis[0]?.ledger?.slots).toEqual([expect.objectContaining({ state: 'active', sessionId })]);
    expect(sessionsOn(cloud, [eniId]).map((session) => session.trafficMirrorSessionId)).toEqual([sessionId]);
  });

  it('limits the report to --instance', async () => {
    const other = await seed.launch({ type: 'm5.large', tags: TAG });

    const { report } = await status('--instance', other.instanceId);

    expect(report.instances.map((instance) => instance.instanceId)).toEqual([other.instanceId]);
    expect(driftKinds(report, other.instanceId)).toEqual(['eligible-eni-unmirrored']);
  });
});
