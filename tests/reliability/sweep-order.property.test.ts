/**
 * The sweep's order over successive bounded runs: cleanup first, and the cursor's rotation covers every tagged
 * instance within ceil(tagged / room) runs, whatever the fleet and the bound.
 */
import fc from 'fast-check';
import { orderForRun } from '../../shared/converge/sweep';

const ids = fc.uniqueArray(fc.integer({ min: 0, max: 9999 }).map((n) => `i-${n.toString(16).padStart(17, '0')}`), { maxLength: 40 });

describe('orderForRun', () => {
  it('puts every cleanup instance first and lists each instance once', () => {
    fc.assert(
      fc.property(ids, ids, fc.option(fc.string(), { nil: undefined }), (tagged, cleanupRaw, cursor) => {
        const cleanup = cleanupRaw.filter((id) => !tagged.includes(id)).sort();
        const order = orderForRun({ tagged: [...tagged].sort(), cleanup }, cursor);
        expect(order.slice(0, cleanup.length)).toEqual(cleanup);
        expect([...order].sort()).toEqual([...cleanup, ...tagged].sort());
      }),
    );
  });

  it('covers every tagged instance within ceil(tagged / room) bounded runs', () => {
    fc.assert(
      fc.property(ids.filter((list) => list.length > 0), fc.integer({ min: 1, max: 15 }), (taggedRaw, max) => {
        const tagged = [...taggedRaw].sort();
        const seen = new Set<string>();
        let cursor: string | undefined;
        for (let run = 0; run < Math.ceil(tagged.length / max); run += 1) {
          const chosen = orderForRun({ tagged, cleanup: [] }, cursor).slice(0, max);
          for (const id of chosen) seen.add(id);
          cursor = chosen[chosen.length - 1];
        }
        expect(seen.size).toBe(tagged.length);
      }),
    );
  });
});
