import {
  chooseSlot,
  type ExistingReservation,
  leftToHolder,
  markReleasing,
  type ReleaseHold,
  type ReleaseMark,
  type Releaser,
  type Slot,
  type SlotWish,
} from '../../shared/domain/eni-slots';
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

describe('markReleasing', () => {
  const now = new Date(AT);
  const mine: ReleaseHold = { until: '2026-12-04T12:01:00.000Z', redeliveredAs: ['stopped-message'], detaches: ['tms-ours', 'tms-next'] };
  const theirs: ReleaseHold = { until: '2026-12-04T12:00:30.000Z', redeliveredAs: ['stopping-message'] };
  const aSweep: Releaser = { redeliveredAs: [] };
  const active = slot(1, { owner: 'managed', sessionId: 'tms-ours', reservationId: 'r-1', updatedAt: '2026-12-04T11:00:00.000Z' });
  const releasing = (release: ReleaseHold | undefined): Slot => ({
    ...active,
    state: 'releasing',
    updatedAt: '2026-12-04T11:59:50.000Z',
    ...(release ? { release } : {}),
  });

  it("marks an active slot releasing under this run's hold, beside the ENI's other slots", () => {
    const { slots, result } = markReleasing([active, slot(2)], 'tms-ours', mine, now);

    expect(result).toEqual({ kind: 'marked' });
    expect(slots).toEqual([{ ...active, state: 'releasing', updatedAt: AT, release: mine }, slot(2)]);
  });

  it('holds nothing for a run nothing brings back (a sweep, a CLI run)', () => {
    const { slots } = markReleasing([active], 'tms-ours', aSweep, now);

    expect(slots).toEqual([{ ...active, state: 'releasing', updatedAt: AT }]);
  });

  it('leaves the session to a live releaser whose trigger comes back to it, writing nothing', () => {
    const leftToThem = { result: { kind: 'left-to-releaser', release: theirs } };

    expect(markReleasing([releasing(theirs)], 'tms-ours', mine, now)).toEqual(leftToThem);
    expect(markReleasing([releasing(theirs)], 'tms-ours', aSweep, now)).toEqual(leftToThem);
  });

  it.each<[string, ReleaseHold | undefined, Releaser, ReleaseMark]>([
    [
      'its hold has lapsed (its run died or timed out): that run is dead',
      { ...theirs, until: '2026-12-04T11:59:59.999Z' },
      mine,
      { kind: 'marked', earlier: 'dead' },
    ],
    [
      'it holds none (its delete failed, or nothing brings it back): that run may be at work',
      undefined,
      mine,
      { kind: 'marked', earlier: 'unheld' },
    ],
    [
      "its trigger is this run's own, delivered again after it died",
      theirs,
      { ...mine, redeliveredAs: ['stopping-message'] },
      { kind: 'marked', earlier: 'dead' },
    ],
  ])('takes a releasing slot over, keeping when its release began, when %s', (_case, earlier, releaser, expected) => {
    const { slots, result } = markReleasing([releasing(earlier)], 'tms-ours', releaser, now);

    expect(result).toEqual(expected);
    expect(slots).toEqual([releasing(releaser as ReleaseHold)]);
  });

  it("drops this run's own hold after a failed delete, and the slot stays releasing", () => {
    const { slots, result } = markReleasing([releasing(mine)], 'tms-ours', { redeliveredAs: mine.redeliveredAs }, now);

    expect(result).toMatchObject({ kind: 'marked' });
    expect(slots).toEqual([releasing(undefined)]);
  });

  it('answers no-slot for a session the ledger does not hold, or holds as hand-made', () => {
    expect(markReleasing([slot(1, { sessionId: 'tms-ours' })], 'tms-ours', mine, now)).toEqual({ result: { kind: 'no-slot' } });
    expect(markReleasing([], 'tms-ours', mine, now)).toEqual({ result: { kind: 'no-slot' } });
  });
});
