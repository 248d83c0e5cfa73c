import { chooseSlot, type ExistingReservation, leftToHolder, type Slot, type SlotWish } from '../../shared/domain/eni-slots';
import type { Desired } from '../../shared/domain/plan';

const AT = '2026-12-04T12:00:00.000Z';
const wish: SlotWish = {
  instanceId: 'i-0123456789abcdef0',
  targetId: 'tmt-0123456789abcdef0',
  numberCandidates: [1, 2],
  preferredSessionNumber: 1,
  reservationId: 'r-new',
  heldUntil: '2026-12-04T12:00:20.000Z',
};
const slot = (sessionNumber: number, extra: Partial<Slot> = {}): Slot => ({
  sessionNumber,
  owner: 'foreign',
  state: 'active',
  sessionId: `tms-${sessionNumber}`,
  updatedAt: AT,
  ...extra,
});

describe('chooseSlot', () => {
  it('reserves the first candidate number no slot uses', () => {
    const { slots, result } = chooseSlot([slot(1)], wish, AT);

    expect(result).toEqual({ kind: 'reserved', reservationId: 'r-new', sessionNumber: 2, targetId: wish.targetId });
    expect(slots).toContainEqual({
      sessionNumber: 2,
      owner: 'managed',
      state: 'reserved',
      targetId: wish.targetId,
      reservationId: 'r-new',
      instanceId: wish.instanceId,
      updatedAt: AT,
      // Held by its holder until then: another invocation waits on it rather than replay its create.
      heldUntil: wish.heldUntil,
    });
  });

  it('falls back to the lowest free number from the preferred one when every candidate was taken meanwhile', () => {
    const { result } = chooseSlot([slot(1), slot(2)], wish, AT);

    expect(result).toMatchObject({ kind: 'reserved', sessionNumber: 3 });
  });

  it('reuses a reservation an earlier attach holds, so the retry sends the same ClientToken', () => {
    const held = slot(5, {
      owner: 'managed',
      state: 'active',
      reservationId: 'r-old',
      targetId: 'tmt-00000000000000001',
      sessionId: 'tms-held',
    });

    const { slots, result } = chooseSlot([held], wish, AT);

    expect(result).toEqual({
      kind: 'existing',
      reservationId: 'r-old',
      sessionNumber: 5,
      targetId: 'tmt-00000000000000001',
      sessionId: 'tms-held',
    });
    expect(slots).toEqual([held]);
  });

  it('does not reuse a slot being released', () => {
    const releasing = slot(1, { owner: 'managed', state: 'releasing', reservationId: 'r-old', targetId: wish.targetId });

    expect(chooseSlot([releasing], wish, AT).result).toMatchObject({ kind: 'reserved', sessionNumber: 2 });
  });

  it('answers full when the ENI has its three sessions', () => {
    const { slots, result } = chooseSlot([slot(1), slot(2), slot(3)], wish, AT);

    expect(result).toEqual({ kind: 'full' });
    expect(slots).toHaveLength(3);
  });
});

describe('leftToHolder', () => {
  const now = new Date(AT);
  const desired: Desired = {
    filterId: 'tmf-0123456789abcdef0',
    targetIds: new Set([wish.targetId]),
    virtualNetworkId: undefined,
    packetLength: undefined,
  };
  const live: ExistingReservation = {
    kind: 'existing',
    reservationId: 'r-holder',
    sessionNumber: 1,
    targetId: wish.targetId,
    heldUntil: '2026-12-04T12:00:10.000Z',
    intent: { filterId: desired.filterId, redeliveredAs: ['holder-message'] },
  };
  const own = ['racer-message'];

  it('leaves the ENI to a live holder that makes the wanted session and whose trigger comes back to it', () => {
    expect(leftToHolder(live, desired, now, own)).toBe(true);
  });

  it("never leaves it to a holder whose trigger is the asker's own, delivered again after the holder died", () => {
    expect(leftToHolder(live, desired, now, ['racer-message', 'holder-message'])).toBe(false);
  });

  it.each<[string, Partial<ExistingReservation>]>([
    ['its trigger does not come back (a sweep, a CLI run)', { intent: { filterId: desired.filterId, redeliveredAs: [] } }],
    ['it says nothing of what it makes', { intent: undefined }],
    ['its hold has lapsed (its holder died)', { heldUntil: '2026-12-04T11:59:59.999Z' }],
    ['it is no longer held (its holder gave up)', { heldUntil: undefined }],
    ['it makes the session with another filter', { intent: { filterId: 'tmf-00000000000000009', redeliveredAs: ['holder-message'] } }],
    ['it makes the session on a target no longer allowed', { targetId: 'tmt-00000000000000009' }],
    [
      'it makes the session with another packet length',
      { intent: { filterId: desired.filterId, packetLength: 100, redeliveredAs: ['holder-message'] } },
    ],
    ['its session exists already (kept, and checked, instead)', { sessionId: 'tms-made' }],
  ])('waits instead when %s', (_case, change) => {
    const reservation = { ...live, ...change } as ExistingReservation;

    expect(leftToHolder(reservation, desired, now, own)).toBe(false);
  });

  it('carries the intent of a new reservation into its slot, and back out to whoever finds it', () => {
    const intent = { filterId: desired.filterId, redeliveredAs: ['holder-message'] };
    const { slots } = chooseSlot([], { ...wish, intent }, AT);

    const found = chooseSlot(slots, { ...wish, reservationId: 'r-racer' }, AT).result;

    expect(found).toEqual({ ...live, reservationId: 'r-new', heldUntil: wish.heldUntil, intent });
  });
});
