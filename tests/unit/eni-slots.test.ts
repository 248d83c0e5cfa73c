import { chooseSlot, type Slot, type SlotWish } from '../../shared/domain/eni-slots';

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
