/**
 * The sweep's order over successive bounded runs: cleanup first, and the cursor's rotation covers every tagged and
 * every remembered instance within ceil(rotation / room) runs, whatever the fleet, the bound and the mix: remembered
 * instances (hand-made sessions) outnumbering a run's budget starve nobody.
 */
import fc from 'fast-check';
import { orderForRun, type SweepScope } from '../../shared/converge/sweep';

const ids = fc.uniqueArray(
  fc.integer({ min: 0, max: 9999 }).map((n) => `i-${n.toString(16).padStart(17, '0')}`),
  { maxLength: 40 },
);

/** Disjoint tagged, cleanup and remembered lists, sorted as the sweep reads them. */
const scopes = fc.tuple(ids, ids, ids).map(([tagged, cleanupRaw, rememberedRaw]): SweepScope => {
  const cleanup = cleanupRaw.filter((id) => !tagged.includes(id));
  const remembered = rememberedRaw.filter((id) => !tagged.includes(id) && !cleanup.includes(id));
  return { tagged: [...tagged].sort(), cleanup: [...cleanup].sort(), remembered: [...remembered].sort() };
});

describe('orderForRun', () => {
  it('puts every cleanup instance first and lists each instance once', () => {
    fc.assert(
      fc.property(scopes, fc.option(fc.string(), { nil: undefined }), (scope, cursor) => {
        const order = orderForRun(scope, cursor);
        expect(order.slice(0, scope.cleanup.length)).toEqual(scope.cleanup);
        expect([...order].sort()).toEqual([...scope.cleanup, ...scope.tagged, ...scope.remembered].sort());
      }),
    );
  });

  it('visits every tagged and remembered instance within ceil(rotation / room) bounded runs, even when the remembered outnumber a run', () => {
    fc.assert(
      fc.property(
        scopes.filter((scope) => scope.tagged.length + scope.remembered.length > 0),
        fc.integer({ min: 1, max: 15 }),
        (raw, max) => {
          // Cleanup instances drop out once cleaned; what must not starve is the rotation.
          const scope = { ...raw, cleanup: [] };
          const inTurn = scope.tagged.length + scope.remembered.length;
          const seen = new Set<string>();
          let cursor: string | undefined;
          for (let run = 0; run < Math.ceil(inTurn / max); run += 1) {
            const chosen = orderForRun(scope, cursor).slice(0, max);
            for (const id of chosen) seen.add(id);
            cursor = chosen[chosen.length - 1];
          }
          expect(seen.size).toBe(inTurn);
        },
      ),
    );
  });
});
