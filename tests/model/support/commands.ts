/**
 * The operations of the model-based test, as fast-check commands: what the world, the operators, EventBridge, SQS,
 * Lambda and the deployer may do, in any order. Instances are named by index (modulo how many exist), so every
 * command applies to any state and fast-check can shrink a sequence freely.
 */
import fc from 'fast-check';
import type { CrashPoint } from './crash';
import { type Deployment, describeDeployment, type OverrideValue, TARGET_ROLES, type TargetRole } from './deployment';
import type { ModelCloud, ModelInstance } from './model-cloud';

/** The model's own state: everything it needs is read from the simulator, the single source of truth. */
export type ModelState = Record<string, never>;
type Command = fc.AsyncCommand<ModelState, ModelCloud>;

class Operation implements Command {
  constructor(
    private readonly label: string,
    private readonly act: (cloud: ModelCloud) => Promise<void> | void,
  ) {}

  check(): boolean {
    return true;
  }

  async run(_model: ModelState, cloud: ModelCloud): Promise<void> {
    cloud.figures.operations += 1;
    await this.act(cloud);
    cloud.observe();
    await cloud.checkLedgerMemory(this.label);
  }

  toString(): string {
    return this.label;
  }
}

const onInstance = (label: string, index: number, act: (cloud: ModelCloud, instance: ModelInstance) => Promise<void>) =>
  new Operation(`${label}(#${index})`, async (cloud) => {
    const instance = cloud.instance(index);
    if (instance !== undefined) await act(cloud, instance);
  });

export interface LaunchOptions {
  readonly type: string;
  readonly tagged: boolean;
  readonly interfaces: number;
  readonly keepsPrimary: boolean;
}

/** Every operation, by name: the arbitraries below draw them, and tests/model/support/scenarios.ts spells some out. */
export const play = {
  launch: (options: LaunchOptions) =>
    new Operation(
      `launch(${options.type}, ${options.tagged ? 'tagged' : 'untagged'}, ${options.interfaces} ENI${options.keepsPrimary ? ', primary kept' : ''})`,
      (cloud) => cloud.launch(options),
    ),
  tag: (i: number) => onInstance('tag', i, (cloud, instance) => cloud.setTags(instance.instanceId, { 'traffic-mirror': 'true' })),
  untag: (i: number) => onInstance('untag', i, (cloud, instance) => cloud.deleteTag(instance.instanceId, 'traffic-mirror')),
  override: (kind: 'target' | 'filter', i: number, value: OverrideValue | undefined) =>
    onInstance(`${kind}-override-${value ?? 'removed'}`, i, (cloud, instance) => cloud.setOverride(instance.instanceId, kind, value)),
  stop: (i: number) => onInstance('stop', i, (cloud, instance) => cloud.stop(instance.instanceId)),
  start: (i: number) => onInstance('start', i, (cloud, instance) => cloud.start(instance.instanceId)),
  terminate: (i: number) => onInstance('terminate', i, (cloud, instance) => cloud.terminate(instance.instanceId)),
  handMade: (i: number, eni: number, target: TargetRole) =>
    onInstance(`hand-made(eni ${eni}, ${target})`, i, (cloud, instance) => cloud.addHandMade(instance, eni, target)),
  deleteHandMade: (i: number) => new Operation(`delete-hand-made(${i})`, (cloud) => cloud.deleteHandMade(i)),
  attachInterface: (i: number) => onInstance('attach-interface', i, (cloud, instance) => cloud.attachInterface(instance)),
  detachInterface: (i: number, deleteIt: boolean) =>
    onInstance(deleteIt ? 'detach-and-delete-interface' : 'detach-interface', i, (cloud, instance) =>
      cloud.detachInterface(instance, deleteIt),
    ),
  deploy: (d: Deployment) => new Operation(`deploy(${describeDeployment(d)})`, (cloud) => cloud.deploy(d)),
  loseLedger: () => new Operation('lose-ledger', (cloud) => cloud.loseLedger()),
  quota: (lowered: boolean) => new Operation(lowered ? 'lower-account-quota' : 'restore-account-quota', (cloud) => cloud.setQuota(lowered)),
  consistency: (ms: number) => new Operation(`eventual-consistency(${ms} ms)`, (cloud) => cloud.setConsistency(ms)),
  failOutcomes: (n: number) => new Operation(`fail-outcome-events(${n})`, (cloud) => cloud.failOutcomes(n)),
  crash: (point: CrashPoint) =>
    new Operation(`crash-next-invocation(${point.phase} ${point.action} #${point.nth})`, (cloud) => cloud.armCrash(point)),
  deliver: (count: number, order: 'oldest' | 'newest', duplicate: boolean) =>
    new Operation(
      `deliver(${count}, ${order}${duplicate ? ', duplicated' : ''})`,
      async (cloud) => void (await cloud.deliver(count, order, duplicate)),
    ),
  drop: (n: number) => new Operation(`drop-events(${n})`, (cloud) => cloud.drop(n)),
  sweep: () => new Operation('sweep', async (cloud) => void (await cloud.sweep('scheduled'))),
  passTime: () => new Operation('time-passes', (cloud) => cloud.passTime()),
};

/** Supported Nitro and Xen types, and one EC2 refuses as a source (t2 has no mirroring). */
const INSTANCE_TYPES = ['m5.large', 'm5.large', 'c5.large', 'm4.large', 't2.micro'] as const;
const index = fc.nat({ max: 40 });

const launchOptions: fc.Arbitrary<LaunchOptions> = fc.record({
  type: fc.constantFrom(...INSTANCE_TYPES),
  tagged: fc.boolean(),
  interfaces: fc.integer({ min: 1, max: 2 }),
  keepsPrimary: fc.boolean(),
});

const overrideValue = fc.constantFrom<OverrideValue | undefined>('allowed', 'refused', undefined);

const deployment: fc.Arbitrary<Deployment> = fc
  .record({
    filter: fc.constantFrom('a' as const, 'b' as const),
    virtualNetworkId: fc.constantFrom(undefined, 7, 4242),
    packetLength: fc.constantFrom(undefined, undefined, 128, 8500, 9001),
    pool: fc.subarray([...TARGET_ROLES] as TargetRole[], { minLength: 1 }),
  })
  .map((raw) => ({
    filter: raw.filter,
    pool: raw.pool,
    ...(raw.virtualNetworkId !== undefined ? { virtualNetworkId: raw.virtualNetworkId } : {}),
    ...(raw.packetLength !== undefined ? { packetLength: raw.packetLength } : {}),
  }));

const crashPoint: fc.Arbitrary<CrashPoint> = fc.record({
  action: fc.constantFrom('CreateTrafficMirrorSession' as const, 'DeleteTrafficMirrorSession' as const),
  phase: fc.constantFrom('before' as const, 'after' as const),
  nth: fc.integer({ min: 1, max: 2 }),
});

/**
 * EC2's read lag while a window is on: new resources invisible to Describe, deleted ones still listed. Short by
 * default (the test waits it out when it has to); MODEL_CONSISTENCY_MS plays a longer one, at that cost in time.
 */
export const CONSISTENCY_WINDOW_MS = Number(process.env.MODEL_CONSISTENCY_MS ?? 300);

const weighted = (weight: number, arbitrary: fc.Arbitrary<Command>) => ({ weight, arbitrary });

export const operations: fc.Arbitrary<Command> = fc.oneof(
  weighted(5, launchOptions.map(play.launch)),
  weighted(2, index.map(play.tag)),
  weighted(1, index.map(play.untag)),
  weighted(
    1,
    fc.tuple(index, overrideValue).map(([i, value]) => play.override('target', i, value)),
  ),
  weighted(
    1,
    fc.tuple(index, overrideValue).map(([i, value]) => play.override('filter', i, value)),
  ),
  weighted(1, index.map(play.stop)),
  weighted(1, index.map(play.start)),
  weighted(1, index.map(play.terminate)),
  weighted(
    2,
    fc.tuple(index, fc.nat({ max: 1 }), fc.constantFrom(...TARGET_ROLES)).map(([i, eni, target]) => play.handMade(i, eni, target)),
  ),
  weighted(1, index.map(play.deleteHandMade)),
  weighted(1, index.map(play.attachInterface)),
  weighted(
    1,
    fc.tuple(index, fc.boolean()).map(([i, deleteIt]) => play.detachInterface(i, deleteIt)),
  ),
  weighted(2, deployment.map(play.deploy)),
  weighted(1, fc.constant(null).map(play.loseLedger)),
  weighted(1, fc.boolean().map(play.quota)),
  weighted(2, fc.constantFrom(0, CONSISTENCY_WINDOW_MS).map(play.consistency)),
  weighted(1, fc.integer({ min: 1, max: 3 }).map(play.failOutcomes)),
  weighted(3, crashPoint.map(play.crash)),
  weighted(
    7,
    fc
      .record({
        count: fc.integer({ min: 1, max: 10 }),
        order: fc.constantFrom('oldest' as const, 'newest' as const),
        duplicate: fc.boolean(),
      })
      .map(({ count, order, duplicate }) => play.deliver(count, order, duplicate)),
  ),
  weighted(1, fc.integer({ min: 1, max: 3 }).map(play.drop)),
  weighted(2, fc.constant(null).map(play.sweep)),
  weighted(1, fc.constant(null).map(play.passTime)),
);
