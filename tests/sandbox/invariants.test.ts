/** checkInvariants: each invariant holds on a correct world and catches the one thing it is about. */

import type { SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import { checkInvariants, computeEligibleEnis, type MirrorWorld, type WorldSession, worldFromSnapshot } from '../../local/oracle';

const OWNER = { ownerTagKey: 'vpc-mirror-orchestrator:owner', ownerId: 'vpc-mirror-orchestrator-dev' };
const ours = { [OWNER.ownerTagKey]: OWNER.ownerId };

function session(
  sessionId: string,
  eniId: string,
  targetId: string,
  sessionNumber: number,
  tags: Record<string, string> = ours,
): WorldSession {
  return { sessionId, eniId, targetId, filterId: 'tmf-1', sessionNumber, tags };
}

/** web (tagged m5, 2 ENIs), legacy (tagged t2), idle (untagged m5), ids (target host); one ENI target, one NLB. */
function world(sessions: WorldSession[]): MirrorWorld {
  return {
    instances: [
      {
        instanceId: 'i-web',
        instanceType: 'm5.large',
        state: 'running',
        tags: { 'traffic-mirror': 'true' },
        networkInterfaces: [
          { eniId: 'eni-web0', interfaceType: 'interface' },
          { eniId: 'eni-web1', interfaceType: 'interface' },
        ],
      },
      {
        instanceId: 'i-legacy',
        instanceType: 't2.medium',
        state: 'running',
        tags: { 'traffic-mirror': 'true' },
        networkInterfaces: [{ eniId: 'eni-legacy', interfaceType: 'interface' }],
      },
      {
        instanceId: 'i-idle',
        instanceType: 'm5.large',
        state: 'running',
        tags: {},
        networkInterfaces: [{ eniId: 'eni-idle', interfaceType: 'interface' }],
      },
      {
        instanceId: 'i-ids',
        instanceType: 'c5.4xlarge',
        state: 'running',
        tags: {},
        networkInterfaces: [{ eniId: 'eni-ids', interfaceType: 'interface' }],
      },
    ],
    sessions,
    targets: [
      { targetId: 'tmt-eni', eniId: 'eni-ids', sourceLimit: 2 },
      { targetId: 'tmt-nlb', sourceLimit: null },
    ],
  };
}

const mirrored = [session('tms-a', 'eni-web0', 'tmt-eni', 1), session('tms-b', 'eni-web1', 'tmt-nlb', 1)];

function violated(input: MirrorWorld, extra: Partial<Parameters<typeof checkInvariants>[1]> = {}): string[] {
  return checkInvariants(input, { ...OWNER, ...extra }).violations.map((violation) => `${violation.invariant} ${violation.subject}`);
}

describe('checkInvariants', () => {
  it('holds on a correctly mirrored world and says how much it examined', () => {
    const report = checkInvariants(world(mirrored), OWNER);
    expect(report.ok).toBe(true);
    expect(report.checks.find((check) => check.name === 'eligible-mirrored-once')?.examined).toBe(2);
  });

  it('treats only running, tagged, supported instances as eligible, and never a target ENI', () => {
    const input = world(mirrored);
    expect([...computeEligibleEnis(input, OWNER)].sort()).toEqual(['eni-web0', 'eni-web1']);
    const taggedTargetHost: MirrorWorld = {
      ...input,
      instances: input.instances.map((instance) =>
        instance.instanceId === 'i-ids' ? { ...instance, tags: { 'traffic-mirror': 'true' } } : instance,
      ),
    };
    expect(computeEligibleEnis(taggedTargetHost, OWNER).has('eni-ids')).toBe(false);
  });

  it('catches an eligible ENI left unmirrored and one mirrored twice', () => {
    expect(violated(world([mirrored[0] as WorldSession]))).toEqual(['eligible-mirrored-once eni-web1']);
    expect(violated(world([...mirrored, session('tms-c', 'eni-web1', 'tmt-nlb', 2)]))).toEqual(['eligible-mirrored-once eni-web1']);
  });

  it('excuses an ENI whose three slots are all taken by hand-made sessions', () => {
    const handMade = [1, 2, 3].map((n) => session(`tms-h${n}`, 'eni-web1', 'tmt-nlb', n, { team: 'secops' }));
    expect(violated(world([mirrored[0] as WorldSession, ...handMade]))).toEqual([]);
  });

  it('follows an allowed override tag and treats a disallowed one as "do not mirror"', () => {
    const targetOverride = { tagKey: 'traffic-mirror-target', allowedTargetIds: ['tmt-eni', 'tmt-nlb'] };
    const withOverride = (targetId: string): MirrorWorld => {
      const input = world(mirrored);
      return {
        ...input,
        instances: input.instances.map((instance) =>
          instance.instanceId === 'i-web' ? { ...instance, tags: { ...instance.tags, 'traffic-mirror-target': targetId } } : instance,
        ),
      };
    };
    expect(violated(withOverride('tmt-nlb'), { targetOverride })).toEqual(['eligible-mirrored-once eni-web0']);
    expect(violated(withOverride('tmt-rogue'), { targetOverride })).toEqual([
      'nothing-unwanted-mirrored eni-web0',
      'nothing-unwanted-mirrored eni-web1',
    ]);
    expect(violated(withOverride('tmt-rogue'))).toEqual([]);
  });

  it('catches a managed session on an untagged or unsupported instance', () => {
    expect(violated(world([...mirrored, session('tms-x', 'eni-idle', 'tmt-nlb', 1)]))).toEqual(['nothing-unwanted-mirrored eni-idle']);
    expect(violated(world([...mirrored, session('tms-y', 'eni-legacy', 'tmt-nlb', 1)]))).toEqual(['nothing-unwanted-mirrored eni-legacy']);
  });

  it('catches a fourth session on an ENI and duplicate session numbers', () => {
    const crowded = [1, 2, 3].map((n) => session(`tms-h${n}`, 'eni-web0', 'tmt-nlb', n + 1, { team: 'secops' }));
    expect(violated(world([...mirrored, ...crowded]))).toContain('eni-session-limit eni-web0');
    expect(violated(world([...mirrored, session('tms-h', 'eni-web1', 'tmt-nlb', 1, {})]))).toEqual(['eni-session-limit eni-web1']);
  });

  it('catches a target serving more sources than its limit', () => {
    const overloaded = [
      session('tms-a', 'eni-web0', 'tmt-eni', 1),
      session('tms-b', 'eni-web1', 'tmt-eni', 1),
      session('tms-h', 'eni-idle', 'tmt-eni', 1, {}),
    ];
    expect(violated(world(overloaded))).toEqual(['target-source-limit tmt-eni']);
  });

  it('catches a hand-made session deleted or changed, but not one that went with its ENI', () => {
    const handMade = session('tms-h', 'eni-idle', 'tmt-nlb', 5, { team: 'secops' });
    expect(violated(world(mirrored), { handMadeBaseline: [handMade] })).toEqual(['hand-made-untouched tms-h']);
    expect(violated(world([...mirrored, { ...handMade, sessionNumber: 6 }]), { handMadeBaseline: [handMade] })).toEqual([
      'hand-made-untouched tms-h',
    ]);
    const gone = session('tms-g', 'eni-deleted', 'tmt-nlb', 1, {});
    expect(violated(world(mirrored), { handMadeBaseline: [gone] })).toEqual([]);
  });

  it('reads the simulator snapshot as it is, with the 100-source limit of a full-host target', () => {
    const snapshot: SimulatorSnapshot = {
      instances: [
        {
          instanceId: 'i-web',
          instanceType: 'm5.large',
          state: 'running',
          stateCode: 16,
          availabilityZone: 'us-east-1a',
          subnetId: 'subnet-1',
          tags: { 'traffic-mirror': 'true' },
          networkInterfaceIds: ['eni-web0'],
        },
        {
          instanceId: 'i-big',
          instanceType: 'c5.18xlarge',
          state: 'running',
          stateCode: 16,
          availabilityZone: 'us-east-1a',
          subnetId: 'subnet-1',
          tags: {},
          networkInterfaceIds: ['eni-big'],
        },
      ],
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-web0',
          interfaceType: 'interface',
          subnetId: 'subnet-1',
          availabilityZone: 'us-east-1a',
          instanceId: 'i-web',
          deviceIndex: 0,
          tags: {},
        },
        {
          networkInterfaceId: 'eni-big',
          interfaceType: 'interface',
          subnetId: 'subnet-1',
          availabilityZone: 'us-east-1a',
          instanceId: 'i-big',
          deviceIndex: 0,
          tags: {},
        },
      ],
      targets: [{ trafficMirrorTargetId: 'tmt-big', type: 'network-interface', networkInterfaceId: 'eni-big', tags: {} }],
      filters: [],
      sessions: [],
      subnets: [],
    };
    expect(worldFromSnapshot(snapshot).targets).toEqual([
      { targetId: 'tmt-big', kind: 'network-interface', eniId: 'eni-big', sourceLimit: 100 },
    ]);
    const report = checkInvariants(snapshot, OWNER);
    expect(report.violations.map((violation) => violation.subject)).toEqual(['eni-web0']);
    expect(report.checks.find((check) => check.name === 'target-source-limit')?.examined).toBe(1);
  });
});
