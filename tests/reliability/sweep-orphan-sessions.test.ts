/**
 * The sweep converges by session as well as by instance: every session carrying our owner tag whose ENI is not on a
 * running, tagged, eligible instance is removed, whatever the ledger remembers (a lost or replaced ledger, an ENI that
 * outlived its terminated instance, an ENI moved to another instance). Sessions without our owner tag stay.
 */
import {
  AttachNetworkInterfaceCommand,
  CreateTrafficMirrorSessionCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  waitUntilNetworkInterfaceAvailable,
} from '@aws-sdk/client-ec2';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, wire } from '../support/deps';
import { TEST_SWEEP_SETTINGS as SETTINGS } from '../support/sweep-world';
import { Ec2Seeder, type Launched, sessionsOn, startTestCloud, type TestCloud } from '../support/test-cloud';

const TAG = { 'traffic-mirror': 'true' };
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const trigger = (id: string) => ({ eventId: id });

let cloud: TestCloud;
let seed: Ec2Seeder;
let filterId: string;
let interfaceTarget: string;
const wirings: Wiring[] = [];

function wiring(): Wiring {
  const made = wire(endpointsOf(cloud), { targetIds: [interfaceTarget], filterId });
  wirings.push(made);
  return made;
}

const ours = (eniIds: readonly string[]) => sessionsOn(cloud, eniIds).filter((s) => s.tags[OWNER_TAG] !== undefined);

async function sweepOnce(id: string) {
  const { deps, sweepLedger } = wiring();
  return sweep(trigger(id), deps, { ledger: sweepLedger, settings: SETTINGS });
}

/** The ledger table emptied, as after `sls remove` + redeploy with a fresh table, or a point-in-time restore. */
async function loseLedger(): Promise<void> {
  const { Items = [] } = await cloud.documents.send(new ScanCommand({ TableName: cloud.table.tableName, ProjectionExpression: 'pk, sk' }));
  for (let index = 0; index < Items.length; index += 25) {
    const batch = Items.slice(index, index + 25).map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
    await cloud.documents.send(new BatchWriteCommand({ RequestItems: { [cloud.table.tableName]: batch } }));
  }
}

/** A tagged instance with a second ENI attached afterwards (AttachNetworkInterface: DeleteOnTermination=false). */
async function launchWithKeptSecondary(tags: Record<string, string>): Promise<Launched> {
  const instance = await seed.launch({ tags });
  const secondary = await seed.detachedInterface('eu-west-1a');
  await cloud.ec2.send(
    new AttachNetworkInterfaceCommand({ NetworkInterfaceId: secondary, InstanceId: instance.instanceId, DeviceIndex: 1 }),
  );
  return { instanceId: instance.instanceId, eniIds: [...instance.eniIds, secondary] };
}

async function moveInterface(eniId: string, toInstanceId: string): Promise<void> {
  const described = await cloud.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
  const attachmentId = described.NetworkInterfaces?.[0]?.Attachment?.AttachmentId;
  await cloud.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId }));
  // Detaching takes EC2 a moment (status detaching): attaching before it is available fails with InUse.
  await waitUntilNetworkInterfaceAvailable(
    { client: cloud.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
    { NetworkInterfaceIds: [eniId] },
  );
  await cloud.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: toInstanceId, DeviceIndex: 1 }));
}

beforeEach(async () => {
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  filterId = await seed.filter();
  interfaceTarget = await seed.interfaceTarget('eu-west-1a');
});

afterEach(async () => {
  for (const made of wirings.splice(0)) made.destroy();
  await cloud?.stop();
});

describe('sweep, by session', () => {
  it('removes our session on an ENI that outlived its terminated instance, after the ledger was lost', async () => {
    const instance = await seed.launch({ tags: TAG, keepPrimaryOnTermination: true });
    await sweepOnce('mirror');
    expect(ours(instance.eniIds)).toHaveLength(1);
    await loseLedger();
    await seed.terminate(instance.instanceId);

    const run = await sweepOnce('after-loss');

    expect(ours(instance.eniIds)).toEqual([]);
    expect(run.decisions).toContainEqual(
      expect.objectContaining({ action: 'detach', eniId: instance.eniIds[0], reason: 'interface-detached' }),
    );
  });

  it('removes our session on a secondary ENI with DeleteOnTermination=false once its instance is terminated and the ledger lost', async () => {
    const instance = await launchWithKeptSecondary(TAG);
    await sweepOnce('mirror');
    expect(ours(instance.eniIds)).toHaveLength(2);
    await loseLedger();
    await seed.terminate(instance.instanceId);

    await sweepOnce('after-terminate');

    expect(ours(instance.eniIds)).toEqual([]);
  });

  it('removes our session on an ENI moved to an untagged instance, whatever the ledger remembers', async () => {
    const instance = await launchWithKeptSecondary(TAG);
    const untagged = await seed.launch({ tags: {} });
    await sweepOnce('mirror');
    const moved = instance.eniIds[1] as string;
    await loseLedger();
    await moveInterface(moved, untagged.instanceId);

    await sweepOnce('after-move');

    expect(ours([moved])).toEqual([]);
    // The instance still tagged keeps its own ENI mirrored.
    expect(ours([instance.eniIds[0] as string])).toHaveLength(1);
  });

  it('never touches sessions without our owner tag on an orphaned ENI', async () => {
    const instance = await seed.launch({ tags: TAG, keepPrimaryOnTermination: true });
    const eniId = instance.eniIds[0] as string;
    const handMade = await seed.handMadeSession(eniId, interfaceTarget, filterId, 7);
    const otherDeployment = await cloud.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eniId,
        TrafficMirrorTargetId: interfaceTarget,
        TrafficMirrorFilterId: filterId,
        SessionNumber: 9,
        TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: OWNER_TAG, Value: 'another-deployment' }] }],
      }),
    );
    await sweepOnce('mirror');
    await loseLedger();
    await seed.terminate(instance.instanceId);

    await sweepOnce('after-loss');

    const left = sessionsOn(cloud, [eniId])
      .map((session) => session.trafficMirrorSessionId)
      .sort();
    expect(left).toEqual([handMade, otherDeployment.TrafficMirrorSession?.TrafficMirrorSessionId].sort());
  });
});
