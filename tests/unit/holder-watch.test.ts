import { HolderWatch } from '../../shared/converge/holder-watch';
import type { PlanItems, PlanItemsRequest } from '../../shared/converge/ports';
import type { EniLedger } from '../../shared/domain/eni-slots';

const AT = '2026-12-05T00:00:00.000Z';

/** A ledger whose ENIs stay reserved for `readsUntilActive` reads, then show the holder's session. */
function ledgerActivatingAfter(readsUntilActive: number) {
  const requests: PlanItemsRequest[] = [];
  const readPlanItems = async (request: PlanItemsRequest): Promise<PlanItems> => {
    requests.push(request);
    const state = requests.length >= readsUntilActive ? 'active' : 'reserved';
    const ledgers = new Map<string, EniLedger>(
      request.eniIds.map((eniId) => [
        eniId,
        {
          eniId,
          version: requests.length,
          slots: [{ sessionNumber: 1, owner: 'managed', state, reservationId: `r-${eniId}`, targetId: 'tmt-1', updatedAt: AT }],
        },
      ]),
    );
    return { ledgers, targetLoads: new Map(), lastDecisions: new Map([['i-1', { 'eni-a': 'keep:already-mirrored' }]]) };
  };
  return { requests, ledger: { readPlanItems } };
}

/** What a racer does: read at every tick until the holder's slot is active. */
async function waitUntilActive(watch: HolderWatch, eniId: string, instanceId: string) {
  for (;;) {
    const watched = await watch.next(eniId, instanceId);
    if (watched.ledger?.slots[0]?.state === 'active') return watched;
  }
}

describe('the holder watch', () => {
  it('reads every ENI its racers wait on in one request a tick, however many racers wait, ever less often', async () => {
    const { requests, ledger } = ledgerActivatingAfter(7);
    const pauses: number[] = [];
    const watch = new HolderWatch({ ledger: ledger as never }, async (ms) => {
      pauses.push(ms);
      await new Promise((resolve) => setImmediate(resolve));
    });

    const outcomes = await Promise.all([
      waitUntilActive(watch, 'eni-a', 'i-1'),
      waitUntilActive(watch, 'eni-b', 'i-1'),
      waitUntilActive(watch, 'eni-c', 'i-2'),
    ]);

    expect(requests).toHaveLength(7);
    // Half a second, a second, 2 s, then every 3 s while the racers keep coming back; the last pause finds nobody
    // and ends it.
    expect(pauses).toEqual([500, 1_000, 2_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
    for (const request of requests) {
      expect([...request.eniIds].sort()).toEqual(['eni-a', 'eni-b', 'eni-c']);
      expect([...new Set(request.instanceIds)].sort()).toEqual(['i-1', 'i-2']);
    }
    expect(outcomes.map((outcome) => outcome.lastDecisions)).toEqual([
      { 'eni-a': 'keep:already-mirrored' },
      { 'eni-a': 'keep:already-mirrored' },
      undefined,
    ]);
  });
});
