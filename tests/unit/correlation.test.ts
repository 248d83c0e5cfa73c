import { correlate, type Observations, SLOT_GRACE_MS } from '../../shared/domain/correlation';
import type { EniLedger, Slot } from '../../shared/domain/eni-slots';
import { handMadeSession, INSTANCE_ID, instance, interfaceTarget, session, TARGET_A, ZONE_A } from './support/plan-builders';

const ENI = 'eni-0000000000000000a';
const NOW = new Date('2026-12-04T12:00:00.000Z');
const LONG_AGO = new Date(NOW.getTime() - SLOT_GRACE_MS - 1).toISOString();
const JUST_NOW = new Date(NOW.getTime() - 1000).toISOString();

function managedSlot(overrides: Partial<Slot> = {}): Slot {
  return {
    sessionNumber: 1,
    owner: 'managed',
    state: 'active',
    sessionId: 'tms-0000000000000000f',
    targetId: TARGET_A,
    reservationId: 'r-1',
    instanceId: INSTANCE_ID,
    updatedAt: LONG_AGO,
    ...overrides,
  };
}

function observations(overrides: Partial<Observations> & { slots?: readonly Slot[] } = {}): Observations {
  const { slots, ...rest } = overrides;
  const ledger: EniLedger | undefined = slots ? { eniId: ENI, instanceId: INSTANCE_ID, slots, version: 1 } : undefined;
  return {
    instanceIds: [INSTANCE_ID],
    instances: new Map([[INSTANCE_ID, instance()]]),
    types: new Map(),
    targets: [interfaceTarget(TARGET_A, ZONE_A)],
    remembered: new Map([[INSTANCE_ID, ledger ? [ledger] : []]]),
    ledgers: new Map(ledger ? [[ENI, ledger]] : []),
    sessions: [],
    targetLoads: new Map([[TARGET_A, 1]]),
    now: NOW,
    ...rest,
  };
}

describe('correlate', () => {
  it('calls a slot stale when EC2 has not shown its session for longer than the grace period, and plans on the load without it', () => {
    const [correlated] = correlate(observations({ slots: [managedSlot()] }));

    expect(correlated?.staleSlots).toEqual([{ eniId: ENI, slot: managedSlot(), reason: 'session-gone' }]);
    expect(correlated?.input.targetLoads.get(TARGET_A)).toBe(0);
    expect(correlated?.input.ledgerNumbersByEni.get(ENI)).toEqual([]);
  });

  it('trusts a slot written moments ago that EC2 does not show yet', () => {
    const [correlated] = correlate(observations({ slots: [managedSlot({ updatedAt: JUST_NOW })] }));

    expect(correlated?.staleSlots).toEqual([]);
    expect(correlated?.input.ledgerNumbersByEni.get(ENI)).toEqual([1]);
  });

  it('calls every slot of a terminated instance stale at once when its ENIs went with it', () => {
    const terminated = instance({ state: 'terminated' });

    const [correlated] = correlate(
      observations({ instances: new Map([[INSTANCE_ID, terminated]]), slots: [managedSlot({ updatedAt: JUST_NOW })] }),
    );

    expect(correlated?.staleSlots.map((stale) => stale.reason)).toEqual(['instance-gone']);
  });

  it('trusts a slot written moments ago on an ENI that outlived its terminated instance (its session may not be listed yet)', () => {
    const terminated = instance({ state: 'terminated' });

    const [correlated] = correlate(
      observations({
        instances: new Map([[INSTANCE_ID, terminated]]),
        slots: [managedSlot({ updatedAt: JUST_NOW })],
        survivingEnis: new Set([ENI]),
      }),
    );

    expect(correlated?.staleSlots).toEqual([]);
  });

  it('calls a slot on an ENI that outlived its terminated instance stale once the grace period is over', () => {
    const terminated = instance({ state: 'terminated' });

    const [correlated] = correlate(
      observations({ instances: new Map([[INSTANCE_ID, terminated]]), slots: [managedSlot()], survivingEnis: new Set([ENI]) }),
    );

    expect(correlated?.staleSlots.map((stale) => stale.reason)).toEqual(['instance-gone']);
  });

  it('trusts a slot written moments ago on an ENI no longer attached to its instance, then calls it stale after the grace period', () => {
    const withoutTheEni = instance({ networkInterfaces: [] });
    const on = (slot: Slot) =>
      correlate(observations({ instances: new Map([[INSTANCE_ID, withoutTheEni]]), slots: [slot] }))[0]?.staleSlots.map((s) => s.reason);

    expect(on(managedSlot({ state: 'reserved', sessionId: undefined, updatedAt: JUST_NOW }))).toEqual([]);
    expect(on(managedSlot())).toEqual(['interface-detached']);
  });

  it('finds a managed session the ledger holds only as a reservation (a crash before the slot was marked active)', () => {
    const created = session({ eniId: ENI, reservationId: 'r-1' });

    const [correlated] = correlate(
      observations({ slots: [managedSlot({ state: 'reserved', sessionId: undefined })], sessions: [created] }),
    );

    expect(correlated?.unrecordedSessions).toEqual([{ session: created, reservationId: 'r-1' }]);
    expect(correlated?.staleSlots).toEqual([]);
  });

  it('notices a hand-made session the ledger has not learned', () => {
    const [correlated] = correlate(observations({ sessions: [handMadeSession(ENI, 2)] }));

    expect(correlated?.foreignDriftEnis).toEqual([ENI]);
    expect(correlated?.input.sessionsByEni.get(ENI)).toHaveLength(1);
  });
});
