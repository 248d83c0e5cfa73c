import { planInstance } from '../../shared/domain/plan';
import type { Decision } from '../../shared/domain/types';
import {
  eni,
  FILTER_ID,
  handMadeSession,
  INSTANCE_ID,
  instance,
  interfaceTarget,
  nlbTarget,
  OTHER_FILTER_ID,
  planInput,
  planSettings,
  session,
  TARGET_A,
  TARGET_B,
  TARGET_NLB,
  TARGET_OUTSIDE_POOL,
  ZONE_A,
  ZONE_B,
} from './support/plan-builders';

const ENI_1 = 'eni-0000000000000000a';
const ENI_2 = 'eni-0000000000000000b';

const ofAction = <A extends Decision['action']>(decisions: readonly Decision[], action: A) =>
  decisions.filter((decision): decision is Extract<Decision, { action: A }> => decision.action === action);

const summary = (decisions: readonly Decision[]) =>
  decisions.map((decision) => `${decision.action}:${decision.reason}${'eniId' in decision && decision.eniId ? `@${decision.eniId}` : ''}`);

describe('planInstance', () => {
  describe('for a tagged, running, supported instance', () => {
    it('attaches one session per ENI with the filter, the best target and the preferred number', () => {
      const input = planInput({
        instance: instance({ networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 })] }),
      });

      const plan = planInstance(input, planSettings());

      expect(plan).toEqual([
        {
          action: 'attach',
          instanceId: INSTANCE_ID,
          eniId: ENI_1,
          filterId: FILTER_ID,
          targetCandidates: [TARGET_A],
          allowedTargetIds: [TARGET_A],
          sessionNumberCandidates: [1, 2, 3],
          reason: 'eligible',
        },
        {
          action: 'attach',
          instanceId: INSTANCE_ID,
          eniId: ENI_2,
          filterId: FILTER_ID,
          targetCandidates: [TARGET_A],
          allowedTargetIds: [TARGET_A],
          sessionNumberCandidates: [1, 2, 3],
          reason: 'eligible',
        },
      ]);
    });

    it('keeps a session that is already right', () => {
      const existing = session({ eniId: ENI_1, sessionNumber: 7 });

      const plan = planInstance(planInput({ sessions: [existing] }), planSettings());

      expect(plan).toEqual([
        {
          action: 'keep',
          instanceId: INSTANCE_ID,
          eniId: ENI_1,
          sessionId: existing.sessionId,
          targetId: TARGET_A,
          reason: 'already-mirrored',
        },
      ]);
    });

    it('leaves hand-made sessions alone and avoids their numbers', () => {
      const handMade = handMadeSession(ENI_1, 1);

      const plan = planInstance(planInput({ sessions: [handMade] }), planSettings());

      expect(plan.some((decision) => 'sessionId' in decision && decision.sessionId === handMade.sessionId)).toBe(false);
      expect(ofAction(plan, 'attach')[0]?.sessionNumberCandidates).toEqual([2, 3, 4]);
    });

    it('avoids numbers the ledger holds for reservations in flight', () => {
      const input = planInput({ ledgerNumbersByEni: new Map([[ENI_1, [1, 2]]]) });

      const plan = planInstance(input, planSettings({ preferredSessionNumber: 2 }));

      expect(ofAction(plan, 'attach')[0]?.sessionNumberCandidates).toEqual([3, 4, 5]);
    });

    it('refuses an ENI that already has three hand-made sessions', () => {
      const input = planInput({ sessions: [1, 2, 3].map((number) => handMadeSession(ENI_1, number)) });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`refuse:interface-session-limit@${ENI_1}`]);
      expect(ofAction(plan, 'refuse')[0]?.detail).toMatch(/already has 3 sessions not made by this orchestrator \(numbers 1, 2, 3\)/);
    });

    it('replaces its own outdated session even when two hand-made ones fill the rest of the ENI', () => {
      const outdated = session({ eniId: ENI_1, sessionNumber: 3, filterId: OTHER_FILTER_ID });
      const input = planInput({ sessions: [handMadeSession(ENI_1, 1), handMadeSession(ENI_1, 2), outdated] });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:settings-changed@${ENI_1}`, `attach:eligible@${ENI_1}`]);
      expect(ofAction(plan, 'detach')[0]?.sessionId).toBe(outdated.sessionId);
    });

    it.each([
      ['the filter changed', { filterId: OTHER_FILTER_ID }, {}],
      ['the target left the pool', { targetId: TARGET_OUTSIDE_POOL }, {}],
      ['the VNI changed', { virtualNetworkId: 5 }, { virtualNetworkId: 6 }],
      ['the packet length changed', { packetLength: 128 }, { packetLength: 256 }],
      ['a packet length was removed', { packetLength: 128 }, {}],
    ])('detaches and re-attaches when %s', (_, sessionChange, settingsChange) => {
      const outdated = session({ eniId: ENI_1, ...sessionChange });

      const plan = planInstance(planInput({ sessions: [outdated] }), planSettings(settingsChange));

      expect(summary(plan)).toEqual([`detach:settings-changed@${ENI_1}`, `attach:eligible@${ENI_1}`]);
    });

    it('accepts any VNI when none is configured (AWS picked one)', () => {
      const existing = session({ eniId: ENI_1, virtualNetworkId: 8_123_456 });

      const plan = planInstance(planInput({ sessions: [existing] }), planSettings());

      expect(summary(plan)).toEqual([`keep:already-mirrored@${ENI_1}`]);
    });

    it('accepts the 8500 bytes AWS stores on an NLB session when no packet length is configured', () => {
      const existing = session({ eniId: ENI_1, packetLength: 8500 });

      const plan = planInstance(planInput({ sessions: [existing] }), planSettings());

      expect(summary(plan)).toEqual([`keep:already-mirrored@${ENI_1}`]);
    });

    it('keeps the lowest-numbered of duplicate managed sessions and detaches the others', () => {
      const sessions = [5, 2, 9].map((sessionNumber) => session({ eniId: ENI_1, sessionNumber }));

      const plan = planInstance(planInput({ sessions }), planSettings());

      expect(ofAction(plan, 'keep').map((decision) => decision.sessionId)).toEqual([sessions[1]?.sessionId]);
      expect(ofAction(plan, 'detach').map((decision) => [decision.sessionId, decision.reason])).toEqual([
        [sessions[0]?.sessionId, 'duplicate-managed-session'],
        [sessions[2]?.sessionId, 'duplicate-managed-session'],
      ]);
    });

    it('keeps the right session and detaches an outdated sibling as settings-changed', () => {
      const outdated = session({ eniId: ENI_1, sessionNumber: 1, filterId: OTHER_FILTER_ID });
      const right = session({ eniId: ENI_1, sessionNumber: 2 });

      const plan = planInstance(planInput({ sessions: [outdated, right] }), planSettings());

      expect(plan).toEqual([
        expect.objectContaining({ action: 'detach', sessionId: outdated.sessionId, reason: 'settings-changed' }),
        expect.objectContaining({ action: 'keep', sessionId: right.sessionId, reason: 'already-mirrored' }),
      ]);
    });

    it('puts every detach before any attach, across ENIs', () => {
      const input = planInput({
        instance: instance({ networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 })] }),
        sessions: [session({ eniId: ENI_2, filterId: OTHER_FILTER_ID })],
      });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:settings-changed@${ENI_2}`, `attach:eligible@${ENI_1}`, `attach:eligible@${ENI_2}`]);
    });

    it('detaches managed sessions left on ENIs the instance no longer has', () => {
      const stray = session({ eniId: 'eni-0ffffffffffffffff' });

      const plan = planInstance(planInput({ strayManagedSessions: [stray] }), planSettings());

      expect(plan[0]).toEqual(expect.objectContaining({ action: 'detach', sessionId: stray.sessionId, reason: 'interface-detached' }));
      expect(summary(plan.slice(1))).toEqual([`attach:eligible@${ENI_1}`]);
    });
  });

  describe('choosing targets', () => {
    it('prefers a target in the ENI zone, then a load balancer, then another zone', () => {
      const input = planInput({ instance: instance({ networkInterfaces: [eni(ENI_1, { availabilityZone: ZONE_B })] }) });

      const plan = planInstance(input, planSettings({ poolTargetIds: [TARGET_A, TARGET_B, TARGET_NLB] }));

      expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_B, TARGET_NLB, TARGET_A]);
    });

    it('spreads the ENIs of one instance over equally loaded targets', () => {
      const input = planInput({
        instance: instance({ networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 })] }),
        targets: [interfaceTarget(TARGET_A, ZONE_A), interfaceTarget(TARGET_B, ZONE_A)],
      });

      const plan = planInstance(input, planSettings({ poolTargetIds: [TARGET_A, TARGET_B] }));

      expect(ofAction(plan, 'attach').map((decision) => decision.targetCandidates[0])).toEqual([TARGET_A, TARGET_B]);
    });

    it('refuses with target-pool-full when every pool target is at its limit', () => {
      const input = planInput({ targetLoads: new Map([[TARGET_A, 10]]) });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`refuse:target-pool-full@${ENI_1}`]);
      expect(ofAction(plan, 'refuse')[0]?.detail).toContain(`${TARGET_A} 10/10`);
    });

    it('refuses with target-pool-full when no pool target could be described', () => {
      const plan = planInstance(planInput({ targets: [] }), planSettings());

      expect(summary(plan)).toEqual([`refuse:target-pool-full@${ENI_1}`]);
      expect(ofAction(plan, 'refuse')[0]?.detail).toContain('could be found');
    });

    it('counts the source its own outdated session frees on a full target', () => {
      const outdated = session({ eniId: ENI_1, filterId: OTHER_FILTER_ID, targetId: TARGET_A });
      const input = planInput({ sessions: [outdated], targetLoads: new Map([[TARGET_A, 10]]) });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:settings-changed@${ENI_1}`, `attach:eligible@${ENI_1}`]);
      expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_A]);
    });
  });

  describe('when the instance should not be mirrored', () => {
    it('detaches every managed session, strays included, of an instance EC2 no longer knows', () => {
      const onEni = session({ eniId: ENI_1 });
      const handMade = handMadeSession(ENI_1, 2);
      const stray = session({ eniId: 'eni-0ffffffffffffffff' });
      const input = planInput({ sessions: [onEni, handMade], strayManagedSessions: [stray] });

      const plan = planInstance({ ...input, instance: undefined }, planSettings());

      expect(plan.map((decision) => 'sessionId' in decision && [decision.sessionId, decision.reason])).toEqual([
        [onEni.sessionId, 'instance-gone'],
        [stray.sessionId, 'instance-gone'],
      ]);
    });

    it('skips an unknown instance with nothing to clean up', () => {
      const plan = planInstance(planInput({ instance: undefined }), planSettings());

      expect(plan).toEqual([{ action: 'skip', instanceId: INSTANCE_ID, reason: 'instance-gone' }]);
    });

    it.each([
      ['has no opt-in tag', {}],
      ['has another value on the opt-in tag', { 'traffic-mirror': 'false' }],
    ])('detaches managed sessions when the instance %s', (_, tags) => {
      const managed = session({ eniId: ENI_1 });
      const input = planInput({ instance: instance({ tags }), sessions: [managed, handMadeSession(ENI_1, 2)] });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:not-tagged@${ENI_1}`]);
    });

    it('skips an untagged instance with nothing to detach', () => {
      const plan = planInstance(planInput({ instance: instance({ tags: {} }) }), planSettings());

      expect(plan).toEqual([{ action: 'skip', instanceId: INSTANCE_ID, reason: 'not-tagged' }]);
    });

    it.each(['stopping', 'stopped', 'shutting-down', 'terminated'] as const)(
      'detaches managed sessions of a %s instance under stop policy detach',
      (state) => {
        const input = planInput({ instance: instance({ state }), sessions: [session({ eniId: ENI_1 })] });

        const plan = planInstance(input, planSettings({ stopPolicy: 'detach' }));

        expect(summary(plan)).toEqual([`detach:not-running@${ENI_1}`]);
      },
    );

    it('keeps the sessions of a stopped instance under stop policy keep, and attaches nothing', () => {
      const kept = session({ eniId: ENI_1 });
      const input = planInput({
        instance: instance({ state: 'stopped', networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 })] }),
        sessions: [kept],
      });

      const plan = planInstance(input, planSettings({ stopPolicy: 'keep' }));

      expect(plan).toEqual([
        { action: 'keep', instanceId: INSTANCE_ID, eniId: ENI_1, sessionId: kept.sessionId, targetId: TARGET_A, reason: 'not-running' },
      ]);
    });

    it('still removes duplicates of a stopped instance under stop policy keep', () => {
      const sessions = [1, 2].map((sessionNumber) => session({ eniId: ENI_1, sessionNumber }));
      const input = planInput({ instance: instance({ state: 'stopped' }), sessions });

      const plan = planInstance(input, planSettings({ stopPolicy: 'keep' }));

      expect(summary(plan)).toEqual([`detach:duplicate-managed-session@${ENI_1}`, `keep:not-running@${ENI_1}`]);
    });

    it('skips a stopped instance without sessions under stop policy keep', () => {
      const plan = planInstance(planInput({ instance: instance({ state: 'stopped' }) }), planSettings({ stopPolicy: 'keep' }));

      expect(plan).toEqual([{ action: 'skip', instanceId: INSTANCE_ID, reason: 'not-running' }]);
    });

    it("detaches a terminated instance's sessions even under stop policy keep", () => {
      const input = planInput({ instance: instance({ state: 'terminated' }), sessions: [session({ eniId: ENI_1 })] });

      const plan = planInstance(input, planSettings({ stopPolicy: 'keep' }));

      expect(summary(plan)).toEqual([`detach:not-running@${ENI_1}`]);
    });

    it('waits for a pending instance without touching its sessions', () => {
      const input = planInput({ instance: instance({ state: 'pending' }), sessions: [session({ eniId: ENI_1 })] });

      const plan = planInstance(input, planSettings());

      expect(plan).toEqual([{ action: 'skip', instanceId: INSTANCE_ID, reason: 'not-running' }]);
    });
  });

  describe('refusals', () => {
    it.each([
      ['t2.micro', 'unsupported-instance-type'],
      ['m6i.large', 'unsupported-instance-type'],
      ['m5.metal', 'bare-metal'],
    ])('refuses a %s once for the whole instance and detaches its managed sessions', (instanceType, reason) => {
      const input = planInput({
        instance: instance({ instanceType, networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 })] }),
        sessions: [session({ eniId: ENI_1 })],
      });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:${reason}@${ENI_1}`, `refuse:${reason}`]);
      expect(ofAction(plan, 'refuse')[0]?.detail).toContain(instanceType);
    });

    it('lets configuration declare a type supported', () => {
      const input = planInput({ instance: instance({ instanceType: 'm6i.large' }) });

      const plan = planInstance(input, planSettings({ extraSupportedTypes: ['m6i'] }));

      expect(summary(plan)).toEqual([`attach:eligible@${ENI_1}`]);
    });

    it('refuses an ENI that is not of type interface', () => {
      const input = planInput({
        instance: instance({ networkInterfaces: [eni(ENI_1, { interfaceType: 'efa' })] }),
        sessions: [session({ eniId: ENI_1 })],
      });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:interface-type-not-supported@${ENI_1}`, `refuse:interface-type-not-supported@${ENI_1}`]);
    });

    it('refuses an ENI that is itself a mirror target', () => {
      const input = planInput({ instance: instance({ networkInterfaces: [eni(ENI_1, { isMirrorTarget: true })] }) });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`refuse:interface-is-mirror-target@${ENI_1}`]);
    });

    it('gives every refusal a sentence a human can act on', () => {
      const input = planInput({
        instance: instance({
          networkInterfaces: [eni(ENI_1, { interfaceType: 'trunk' }), eni(ENI_2, { deviceIndex: 1, isMirrorTarget: true })],
        }),
      });

      const refusals = ofAction(planInstance(input, planSettings()), 'refuse');

      expect(refusals).toHaveLength(2);
      for (const refusal of refusals) expect(refusal.detail).toMatch(/^[A-Z].{20,}\.$/);
    });
  });

  describe('ENI scope', () => {
    it('mirrors only the primary ENI under scope primary and detaches managed sessions on the others', () => {
      const onSecondary = session({ eniId: ENI_2 });
      const input = planInput({
        instance: instance({
          networkInterfaces: [eni(ENI_1), eni(ENI_2, { deviceIndex: 1 }), eni('eni-0000000000000000c', { deviceIndex: 2 })],
        }),
        sessions: [onSecondary],
      });

      const plan = planInstance(input, planSettings({ eniScope: 'primary' }));

      expect(summary(plan)).toEqual([
        `detach:not-primary-interface@${ENI_2}`,
        `attach:eligible@${ENI_1}`,
        `skip:not-primary-interface@${ENI_2}`,
        'skip:not-primary-interface@eni-0000000000000000c',
      ]);
    });
  });

  describe('override tags', () => {
    const withTags = (tags: Record<string, string>) => instance({ tags: { 'traffic-mirror': 'true', ...tags } });

    it('makes an allowed override target the only candidate', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-target': TARGET_NLB }) });

      const plan = planInstance(input, planSettings({ allowedOverrideTargetIds: [TARGET_NLB] }));

      expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_NLB]);
    });

    it('moves an existing session from the pool to the override target', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-target': TARGET_NLB }), sessions: [session({ eniId: ENI_1 })] });

      const plan = planInstance(input, planSettings({ allowedOverrideTargetIds: [TARGET_NLB] }));

      expect(summary(plan)).toEqual([`detach:settings-changed@${ENI_1}`, `attach:eligible@${ENI_1}`]);
    });

    it('accepts a pool target as an override without an allow-list entry', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-target': TARGET_B }) });

      const plan = planInstance(input, planSettings({ poolTargetIds: [TARGET_A, TARGET_B] }));

      expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_B]);
    });

    it('refuses a target that is neither in the pool nor allowed, and detaches managed sessions', () => {
      const input = planInput({
        instance: withTags({ 'traffic-mirror-target': TARGET_OUTSIDE_POOL }),
        sessions: [session({ eniId: ENI_1 })],
      });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual([`detach:target-not-allowed@${ENI_1}`, 'refuse:target-not-allowed']);
      expect(ofAction(plan, 'refuse')[0]?.detail).toContain(TARGET_OUTSIDE_POOL);
    });

    it('replaces the filter with an allowed override filter', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-filter': OTHER_FILTER_ID }) });

      const plan = planInstance(input, planSettings({ allowedOverrideFilterIds: [OTHER_FILTER_ID] }));

      expect(ofAction(plan, 'attach')[0]?.filterId).toBe(OTHER_FILTER_ID);
    });

    it('refuses a filter that is not allowed', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-filter': OTHER_FILTER_ID }) });

      const plan = planInstance(input, planSettings());

      expect(summary(plan)).toEqual(['refuse:filter-not-allowed']);
    });

    it('treats a blank override tag as absent', () => {
      const input = planInput({ instance: withTags({ 'traffic-mirror-target': '  ' }) });

      const plan = planInstance(input, planSettings());

      expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_A]);
    });
  });

  it('works with an unlimited load balancer target whatever its load', () => {
    const input = planInput({ targets: [nlbTarget(TARGET_NLB)], targetLoads: new Map([[TARGET_NLB, 50_000]]) });

    const plan = planInstance(input, planSettings({ poolTargetIds: [TARGET_NLB] }));

    expect(ofAction(plan, 'attach')[0]?.targetCandidates).toEqual([TARGET_NLB]);
  });

  it('does not change its input', () => {
    const input = planInput({ sessions: [session({ eniId: ENI_1, filterId: OTHER_FILTER_ID })], targetLoads: new Map([[TARGET_A, 3]]) });

    planInstance(input, planSettings());

    expect(input.targetLoads.get(TARGET_A)).toBe(3);
    expect(input.sessionsByEni.get(ENI_1)).toHaveLength(1);
  });
});
