/**
 * Properties of the ledger's pure slot logic (syncObservedSessions: what the ledger believes about an ENI, made to
 * agree with what EC2 shows), over generated slot sets and observed sessions.
 */
import fc from 'fast-check';
import type { Slot } from '../../shared/converge/ports';
import { syncObservedSessions } from '../../shared/domain/eni-slots';
import type { SessionFacts } from '../../shared/domain/types';

const AT = '2026-11-25T10:00:00.000Z';
const ENI = 'eni-0123456789abcdef0';

const numbers = fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 5 });

const slotFor = (sessionNumber: number, index: number) =>
  fc
    .record({
      owner: fc.constantFrom<'managed' | 'foreign'>('managed', 'foreign'),
      state: fc.constantFrom<'reserved' | 'active' | 'releasing'>('reserved', 'active', 'releasing'),
      hasSession: fc.boolean(),
    })
    .map(
      ({ owner, state, hasSession }): Slot => ({
        sessionNumber,
        owner,
        state: owner === 'foreign' ? 'active' : state,
        ...(hasSession || owner === 'foreign' ? { sessionId: `tms-${String(index).padStart(17, '0')}` } : {}),
        targetId: 'tmt-0000000000000000a',
        ...(owner === 'managed' ? { reservationId: `r-${index}` } : {}),
        updatedAt: '2026-11-25T09:00:00.000Z',
      }),
    );

const slotsArb = numbers.chain((nums) => (nums.length === 0 ? fc.constant<Slot[]>([]) : fc.tuple(...nums.map((n, i) => slotFor(n, i)))));

/** Sessions EC2 shows on the ENI: distinct numbers and distinct ids (EC2 enforces both), some reusing the ledger's ids. */
const observedArb = fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 3 }).chain((nums) =>
  nums.length === 0
    ? fc.constant<SessionFacts[]>([])
    : fc
        .tuple(
          ...nums.map((sessionNumber) =>
            fc.record({ managed: fc.boolean(), idIndex: fc.integer({ min: 0, max: 9 }) }).map(
              ({ managed, idIndex }): SessionFacts => ({
                sessionId: `tms-${String(idIndex).padStart(17, '0')}`,
                eniId: ENI,
                targetId: 'tmt-0000000000000000b',
                filterId: 'tmf-0000000000000000c',
                sessionNumber,
                managed,
                ...(managed ? { reservationId: `r-${idIndex}`, instanceId: 'i-0123456789abcdef0' } : {}),
              }),
            ),
          ),
        )
        .filter((sessions) => new Set(sessions.map((session) => session.sessionId)).size === sessions.length),
);

describe('syncObservedSessions', () => {
  it('never drops or changes one of our slots', () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const next = syncObservedSessions(slots, observed, AT);
        for (const slot of slots.filter((s) => s.owner === 'managed')) expect(next).toContain(slot);
      }),
    );
  });

  it('keeps session numbers distinct', () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const next = syncObservedSessions(slots, observed, AT);
        const used = next.map((slot) => slot.sessionNumber);
        expect(new Set(used).size).toBe(used.length);
      }),
    );
  });

  it('drops hand-made slots whose session EC2 no longer shows, and keeps those it shows', () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const next = syncObservedSessions(slots, observed, AT);
        const shown = new Set(observed.map((session) => session.sessionId));
        for (const slot of slots.filter((s) => s.owner === 'foreign')) {
          expect(next.includes(slot)).toBe(slot.sessionId !== undefined && shown.has(slot.sessionId));
        }
      }),
    );
  });

  it('accounts for every session EC2 shows whose number no other slot holds', () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const next = syncObservedSessions(slots, observed, AT);
        for (const session of observed) {
          const represented = next.some(
            (slot) =>
              slot.sessionId === session.sessionId || (session.reservationId !== undefined && slot.reservationId === session.reservationId),
          );
          const numberTaken = next.some((slot) => slot.sessionNumber === session.sessionNumber);
          expect(represented || numberTaken).toBe(true);
        }
      }),
    );
  });

  it("records a learned session with the session's own ownership: a hand-made one is never recorded as ours", () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const next = syncObservedSessions(slots, observed, AT);
        // Input slots all carry an older updatedAt, so the slots stamped AT are exactly the learned ones.
        for (const learned of next.filter((slot) => slot.updatedAt === AT)) {
          const source = observed.find((session) => session.sessionId === learned.sessionId);
          expect(source).toBeDefined();
          expect(learned).toMatchObject({
            sessionNumber: source?.sessionNumber,
            owner: source?.managed ? 'managed' : 'foreign',
            state: 'active',
          });
        }
      }),
    );
  });

  it('is idempotent: syncing twice with the same observation changes nothing more', () => {
    fc.assert(
      fc.property(slotsArb, observedArb, (slots, observed) => {
        const once = syncObservedSessions(slots, observed, AT);
        expect(syncObservedSessions(once, observed, AT)).toEqual(once);
      }),
    );
  });
});
