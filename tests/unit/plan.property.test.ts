/**
 * Invariants of planning over generated worlds: random instances, ENIs, hand-made and managed sessions, ledger
 * reservations, targets and their loads, settings. Each property applies the plan the way apply does (detaches
 * first, then each attach takes the first target with room and the first free number) and checks the result.
 */
import fc from 'fast-check';
import { type PlanOptions, planInstance, reasonForNoSessions } from '../../shared/domain/plan';
import { MAX_SESSIONS_PER_ENI } from '../../shared/domain/session-number';
import type { Decision, InstanceFacts, PlanInput, SessionFacts, TargetFacts } from '../../shared/domain/types';
import { INSTANCE_ID, planSettings } from './support/plan-builders';

const TARGET_IDS = ['tmt-00000000000000001', 'tmt-00000000000000002', 'tmt-00000000000000003', 'tmt-00000000000000004'];
const UNKNOWN_TARGET = 'tmt-0000000000000000f';
const FILTERS = ['tmf-00000000000000001', 'tmf-00000000000000002'];
const ZONES = ['eu-west-1a', 'eu-west-1b'];
const SUPPORTED_TYPES = ['m5.large', 't3.micro', 'c4.large', 'z9.large'];
const UNSUPPORTED_TYPES = ['t2.micro', 'm6i.large', 'm5.metal'];
const VNI_WHEN_AWS_PICKS = 4242;

/** True with about the given probability, reproducibly (from fast-check's seed, so failures shrink and replay). */
const chance = (probability: number): fc.Arbitrary<boolean> => fc.noBias(fc.integer({ min: 0, max: 99 })).map((n) => n < probability * 100);

/** `common` most of the time, one of `rare` otherwise: most generated worlds are close to a working setup. */
function mostly<T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: common, weight: 4 }, { arbitrary: rare, weight: 1 });
}
const mostlyAbsent = <T>(rare: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => mostly(fc.constant(undefined), rare);

interface World {
  readonly input: PlanInput;
  readonly settings: PlanOptions;
}

const targetArb: fc.Arbitrary<TargetFacts[]> = fc
  .tuple(
    ...TARGET_IDS.map((targetId) =>
      fc.oneof(
        fc.record({
          targetId: fc.constant(targetId),
          kind: fc.constant('network-interface' as const),
          availabilityZone: fc.constantFrom(...ZONES),
          sourceLimit: fc.constantFrom(1, 2, 3, 10) as fc.Arbitrary<number | null>,
        }),
        fc.record({
          targetId: fc.constant(targetId),
          kind: fc.constantFrom('network-load-balancer' as const, 'gateway-load-balancer-endpoint' as const),
          sourceLimit: fc.constant(null),
        }),
      ),
    ),
  )
  .map((targets) => targets as TargetFacts[]);

const settingsArb: fc.Arbitrary<PlanOptions> = fc
  .record({
    poolTargetIds: fc.subarray(TARGET_IDS, { minLength: 1 }),
    allowedOverrideTargetIds: fc.subarray(TARGET_IDS),
    allowedOverrideFilterIds: fc.subarray([FILTERS[1] as string]),
    eniScope: fc.constantFrom('all' as const, 'primary' as const),
    stopPolicy: fc.constantFrom('detach' as const, 'keep' as const),
    preferredSessionNumber: fc.constantFrom(1, 2, 5, 32766),
    virtualNetworkId: mostlyAbsent(fc.constantFrom(7, 8)),
    packetLength: mostlyAbsent(fc.constantFrom(64, 128)),
  })
  .map((values) => planSettings({ ...values, filterId: FILTERS[0] as string }));

function sessionArb(eniId: string, sessionNumber: number, index: number): fc.Arbitrary<SessionFacts> {
  return fc.record({
    sessionId: fc.constant(`tms-${eniId.slice(4)}${index}`),
    eniId: fc.constant(eniId),
    targetId: mostly(fc.constantFrom(...TARGET_IDS), fc.constant(UNKNOWN_TARGET)),
    filterId: mostly(fc.constant(FILTERS[0] as string), fc.constant(FILTERS[1] as string)),
    sessionNumber: fc.constant(sessionNumber),
    virtualNetworkId: mostlyAbsent(fc.constantFrom(7, 8)),
    packetLength: mostlyAbsent(fc.constantFrom(64, 128)),
    managed: fc.boolean(),
    instanceId: fc.constant(INSTANCE_ID),
  });
}

/** EC2 never shows more than 3 sessions on an ENI, with distinct numbers. */
function sessionsOnEni(eniId: string): fc.Arbitrary<SessionFacts[]> {
  return fc
    .uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: MAX_SESSIONS_PER_ENI })
    .chain((numbers) => fc.tuple(...numbers.map((number, index) => sessionArb(eniId, number, index))));
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    settings: settingsArb,
    targets: targetArb,
    eniCount: mostly(fc.integer({ min: 1, max: 4 }), fc.constant(0)),
    gone: chance(0.15),
    state: mostly<InstanceFacts['state']>(
      fc.constant('running'),
      fc.constantFrom('pending', 'stopping', 'stopped', 'shutting-down', 'terminated'),
    ),
    instanceType: mostly(fc.constantFrom(...SUPPORTED_TYPES), fc.constantFrom(...UNSUPPORTED_TYPES)),
    tagged: chance(0.8),
    targetOverride: mostlyAbsent(fc.constantFrom(...TARGET_IDS, UNKNOWN_TARGET)),
    filterOverride: mostlyAbsent(fc.constantFrom(...FILTERS)),
  })
  .chain((base) => {
    const eniIds = Array.from({ length: base.eniCount }, (_, index) => `eni-0000000000000000${index}`);
    return fc.record({
      base: fc.constant(base),
      enis: fc.tuple(
        ...eniIds.map((eniId, deviceIndex) =>
          fc.record({
            eniId: fc.constant(eniId),
            deviceIndex: fc.constant(deviceIndex),
            interfaceType: fc.constantFrom('interface', 'interface', 'interface', 'efa'),
            availabilityZone: fc.constantFrom(...ZONES),
            isMirrorTarget: chance(0.1),
          }),
        ),
      ),
      sessions: fc.tuple(...eniIds.map(sessionsOnEni)),
      ledger: fc.tuple(...eniIds.map(() => fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 2 }))),
      strays: mostly(fc.constant<SessionFacts[]>([]), sessionsOnEni('eni-0ffffffffffffffff')).map((sessions) =>
        sessions.map((stray) => ({ ...stray, managed: true })),
      ),
      loads: fc.tuple(...TARGET_IDS.map(() => fc.integer({ min: 0, max: 12 }))),
    });
  })
  .map(({ base, enis, sessions, ledger, strays, loads }) => {
    const tags: Record<string, string> = {};
    if (base.tagged) tags[base.settings.tagKey] = base.settings.tagValue;
    if (base.targetOverride !== undefined) tags[base.settings.targetOverrideTagKey] = base.targetOverride;
    if (base.filterOverride !== undefined) tags[base.settings.filterOverrideTagKey] = base.filterOverride;
    const instance: InstanceFacts = {
      instanceId: INSTANCE_ID,
      state: base.state,
      instanceType: base.instanceType,
      availabilityZone: 'eu-west-1a',
      tags,
      networkInterfaces: enis,
    };
    // Loads start within each target's limit: the ledger never lets them exceed it.
    const targetLoads = new Map(
      base.targets.map((target, index) => [target.targetId, Math.min(loads[index] ?? 0, target.sourceLimit ?? Infinity)]),
    );
    const input: PlanInput = {
      instanceId: INSTANCE_ID,
      instance: base.gone ? undefined : instance,
      instanceType: undefined,
      sessionsByEni: new Map(enis.map((eni, index) => [eni.eniId, sessions[index] ?? []])),
      strayManagedSessions: strays,
      ledgerNumbersByEni: new Map(enis.map((eni, index) => [eni.eniId, ledger[index] ?? []])),
      targets: base.targets,
      targetLoads,
    };
    return { input, settings: base.settings };
  });

interface Applied {
  readonly next: PlanInput;
  /** Attaches whose first target candidate had no room when apply reached them. */
  readonly firstChoiceFull: number;
  /** Attaches for which no candidate had room. */
  readonly failedAttaches: number;
  readonly loadsAboveLimit: string[];
}

function hasRoom(target: TargetFacts | undefined, loads: ReadonlyMap<string, number>): boolean {
  return target !== undefined && (target.sourceLimit === null || (loads.get(target.targetId) ?? 0) < target.sourceLimit);
}

/** What apply does with a plan, with every step succeeding except where the ledger would say a target is full. */
function applyPlan({ input, settings }: World, plan: readonly Decision[]): Applied {
  const detached = new Set(plan.flatMap((decision) => (decision.action === 'detach' ? [decision.sessionId] : [])));
  const loads = new Map(input.targetLoads);
  // A target's load counts source ENIs: it drops when the last session from an ENI to that target goes.
  const releaseTargets = (sessions: readonly SessionFacts[]) => {
    const remaining = sessions.filter((session) => !detached.has(session.sessionId));
    for (const targetId of new Set(sessions.filter((s) => detached.has(s.sessionId)).map((s) => s.targetId))) {
      if (!remaining.some((session) => session.targetId === targetId)) loads.set(targetId, Math.max(0, (loads.get(targetId) ?? 0) - 1));
    }
    return remaining;
  };
  const sessionsByEni = new Map<string, SessionFacts[]>();
  for (const [eniId, sessions] of input.sessionsByEni) sessionsByEni.set(eniId, releaseTargets(sessions));
  releaseTargets(input.strayManagedSessions);
  const ledgerNumbersByEni = new Map([...input.ledgerNumbersByEni].map(([eniId, numbers]) => [eniId, [...numbers]]));
  const factsById = new Map(input.targets.map((target) => [target.targetId, target]));
  let firstChoiceFull = 0;
  let failedAttaches = 0;
  for (const decision of plan) {
    if (decision.action !== 'attach') continue;
    if (!hasRoom(factsById.get(decision.targetCandidates[0] ?? ''), loads)) firstChoiceFull += 1;
    const targetId = decision.targetCandidates.find((candidate) => hasRoom(factsById.get(candidate), loads));
    const onEni = sessionsByEni.get(decision.eniId) ?? [];
    const sessionNumber = decision.sessionNumberCandidates.find((number) => !onEni.some((s) => s.sessionNumber === number));
    if (targetId === undefined || sessionNumber === undefined) {
      failedAttaches += 1;
      continue;
    }
    loads.set(targetId, (loads.get(targetId) ?? 0) + 1);
    ledgerNumbersByEni.set(decision.eniId, [...(ledgerNumbersByEni.get(decision.eniId) ?? []), sessionNumber]);
    sessionsByEni.set(decision.eniId, [
      ...onEni,
      {
        sessionId: `tms-new-${decision.eniId}`,
        eniId: decision.eniId,
        targetId,
        filterId: decision.filterId,
        sessionNumber,
        virtualNetworkId: settings.virtualNetworkId ?? VNI_WHEN_AWS_PICKS,
        packetLength: settings.packetLength,
        managed: true,
        instanceId: INSTANCE_ID,
      },
    ]);
  }
  const loadsAboveLimit = input.targets
    .filter((target) => target.sourceLimit !== null && (loads.get(target.targetId) ?? 0) > target.sourceLimit)
    .map((target) => target.targetId);
  return {
    next: {
      ...input,
      sessionsByEni,
      strayManagedSessions: input.strayManagedSessions.filter((stray) => !detached.has(stray.sessionId)),
      ledgerNumbersByEni,
      targetLoads: loads,
    },
    firstChoiceFull,
    failedAttaches,
    loadsAboveLimit,
  };
}

const allSessions = (input: PlanInput) => [...[...input.sessionsByEni.values()].flat(), ...input.strayManagedSessions];

const RUNS = { numRuns: 300 };

describe('planInstance (properties)', () => {
  it('never acts on a session it does not manage', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const managedIds = new Set(
          allSessions(world.input)
            .filter((s) => s.managed)
            .map((s) => s.sessionId),
        );

        const plan = planInstance(world.input, world.settings);

        for (const decision of plan) {
          if (decision.action === 'detach' || decision.action === 'keep') expect(managedIds.has(decision.sessionId)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('puts every detach before the first attach, and explains every refusal', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planInstance(world.input, world.settings);

        const lastDetach = plan.map((decision) => decision.action).lastIndexOf('detach');
        const firstAttach = plan.findIndex((decision) => decision.action === 'attach');
        if (firstAttach !== -1) expect(lastDetach).toBeLessThan(firstAttach);
        for (const decision of plan) {
          expect(decision.instanceId).toBe(INSTANCE_ID);
          if (decision.action === 'refuse') expect(decision.detail.length).toBeGreaterThan(20);
        }
      }),
      RUNS,
    );
  });

  it('never leaves more than 3 sessions on an ENI', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { next } = applyPlan(world, planInstance(world.input, world.settings));

        for (const sessions of next.sessionsByEni.values()) expect(sessions.length).toBeLessThanOrEqual(3); // EC2's limit, not the module's constant
      }),
      RUNS,
    );
  });

  it('only proposes allowed targets with room, so no target goes above its limit', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planInstance(world.input, world.settings);
        const override = world.input.instance?.tags[world.settings.targetOverrideTagKey];
        const allowed = new Set(override !== undefined ? [override] : world.settings.poolTargetIds);

        const applied = applyPlan(world, plan);

        for (const decision of plan) {
          if (decision.action !== 'attach') continue;
          expect(decision.targetCandidates.length).toBeGreaterThan(0);
          for (const candidate of decision.targetCandidates) expect(allowed.has(candidate)).toBe(true);
        }
        expect(applied.firstChoiceFull).toBe(0);
        expect(applied.failedAttaches).toBe(0);
        expect(applied.loadsAboveLimit).toEqual([]);
      }),
      RUNS,
    );
  });

  it('leaves at most one managed session per ENI, and none anywhere for an instance that should not be mirrored', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { next } = applyPlan(world, planInstance(world.input, world.settings));
        const instance = world.input.instance;
        const managedLeft = (sessions: readonly SessionFacts[]) => sessions.filter((s) => s.managed).length;

        expect(next.strayManagedSessions).toEqual(instance?.state === 'pending' ? next.strayManagedSessions : []);
        if (instance === undefined || instance.tags[world.settings.tagKey] !== world.settings.tagValue) {
          expect(managedLeft(allSessions(next))).toBe(0);
          return;
        }
        if (instance.state === 'pending') return; // left alone until it runs
        for (const sessions of next.sessionsByEni.values()) expect(managedLeft(sessions)).toBeLessThanOrEqual(1);
        if (['shutting-down', 'terminated'].includes(instance.state)) expect(managedLeft(allSessions(next))).toBe(0);
      }),
      RUNS,
    );
  });

  it('is idempotent: after its own plan is applied, planning again attaches and detaches nothing', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { next } = applyPlan(world, planInstance(world.input, world.settings));

        const replan = planInstance(next, world.settings);

        expect(replan.filter((decision) => decision.action === 'attach' || decision.action === 'detach')).toEqual([]);
      }),
      RUNS,
    );
  });

  it('names a reason for no sessions only when its plan keeps and attaches nothing and leaves no managed session', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const plan = planInstance(world.input, world.settings);
        const { next } = applyPlan(world, plan);
        const mirrorsSomething = plan.some((decision) => decision.action === 'attach' || decision.action === 'keep');

        const reason = reasonForNoSessions(world.input.instance, world.settings, world.input.now);

        // With a reason, nothing is kept or made (what another invocation makes meanwhile is detached for it).
        if (reason !== undefined) {
          expect(mirrorsSomething).toBe(false);
          expect(allSessions(next).filter((session) => session.managed)).toEqual([]);
        }
        // Without one, the instance exists, carries the tag, and runs (or will, or keeps its sessions while stopped).
        if (reason === undefined) {
          const instance = world.input.instance;
          expect(instance?.tags[world.settings.tagKey]).toBe(world.settings.tagValue);
          const keepsWhileStopped = world.settings.stopPolicy === 'keep' && ['stopping', 'stopped'].includes(instance?.state ?? '');
          expect(['running', 'pending'].includes(instance?.state ?? '') || keepsWhileStopped).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
