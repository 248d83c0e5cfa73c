/**
 * The ledger audit is the oracle of the reliability suites' "consistent ledger" checks: each rule must find the one
 * inconsistency it is about, or those checks could pass on any table.
 */
import type { SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import { auditLedger, OWNER_TAG } from '../../local/oracle';

const ENI = 'eni-0aaaaaaaaaaaaaaa1';
const TARGET = 'tmt-0bbbbbbbbbbbbbbb2';
const SESSION = 'tms-0ccccccccccccccc3';

type Item = Record<string, unknown>;

function eniItem(slots: Record<string, Record<string, unknown>>): Item {
  return { pk: `eni#${ENI}`, sk: 'slots', eniId: ENI, slots };
}

const activeSlot = { sessionNumber: 1, owner: 'managed', state: 'active', sessionId: SESSION, targetId: TARGET, reservationId: 'r-1' };
const targetItem: Item = { pk: `target#${TARGET}`, sk: 'load', sources: new Set([ENI]), sourceCount: 1 };

function snapshotWith(
  sessions: Array<{ id: string; eniId: string; managed: boolean }>,
  targetType: 'network-interface' | 'network-load-balancer' = 'network-interface',
): SimulatorSnapshot {
  return {
    targets: [{ trafficMirrorTargetId: TARGET, type: targetType, tags: {} }],
    sessions: sessions.map((session) => ({
      trafficMirrorSessionId: session.id,
      networkInterfaceId: session.eniId,
      tags: session.managed ? { [OWNER_TAG]: 'vpc-mirror-orchestrator' } : {},
    })),
  } as unknown as SimulatorSnapshot;
}

const ourSession = { id: SESSION, eniId: ENI, managed: true };

describe('auditLedger', () => {
  it("reads every scope's ENI items: a member's slot accounts for its source on a shared target", () => {
    const memberEniItem = { ...eniItem({ '1': activeSlot }), pk: `444455556666#eu-west-1#eni#${ENI}` };

    expect(auditLedger([memberEniItem, targetItem], snapshotWith([ourSession]))).toEqual([]);
  });

  it('finds nothing when slots, sessions and target items agree', () => {
    expect(auditLedger([eniItem({ '1': activeSlot }), targetItem], snapshotWith([ourSession]))).toEqual([]);
  });

  it('reports a managed slot left reserved', () => {
    const items = [eniItem({ '1': { ...activeSlot, state: 'reserved' } }), targetItem];

    expect(auditLedger(items, snapshotWith([ourSession]))).toContainEqual({
      subject: ENI,
      message: expect.stringContaining('is reserved'),
    });
  });

  it('reports an active slot naming a session that is not on its ENI', () => {
    const problems = auditLedger([eniItem({ '1': activeSlot }), targetItem], snapshotWith([]));

    expect(problems).toEqual([{ subject: ENI, message: expect.stringContaining(`names ${SESSION}, which is not on ${ENI}`) }]);
  });

  it('reports a managed session with no slot, and one with two', () => {
    const unrecorded = auditLedger([targetItem], snapshotWith([ourSession]));
    const twice = auditLedger(
      [eniItem({ '1': activeSlot, '2': { ...activeSlot, sessionNumber: 2 } }), targetItem],
      snapshotWith([ourSession]),
    );

    expect(unrecorded).toContainEqual({ subject: SESSION, message: 'managed session has 0 ledger slots (expected 1)' });
    expect(twice).toContainEqual({ subject: SESSION, message: 'managed session has 2 ledger slots (expected 1)' });
  });

  it('ignores hand-made sessions that the ledger does not name', () => {
    const handMade = { id: 'tms-0ddddddddddddddd4', eniId: ENI, managed: false };

    expect(auditLedger([eniItem({ '1': activeSlot }), targetItem], snapshotWith([ourSession, handMade]))).toEqual([]);
  });

  it('reports more than 3 slots on an ENI', () => {
    const foreign = (n: number) => ({ sessionNumber: n, owner: 'foreign', state: 'active', sessionId: `tms-foreign-${n}` });
    const items = [eniItem({ '1': activeSlot, '2': foreign(2), '3': foreign(3), '4': foreign(4) }), targetItem];

    expect(auditLedger(items, snapshotWith([ourSession]))).toContainEqual({ subject: ENI, message: '4 slots (limit 3)' });
  });

  it('reports a target whose sources or count disagree with the slots, and slots on a target without an item', () => {
    const leaked = auditLedger(
      [eniItem({ '1': activeSlot }), { ...targetItem, sources: new Set([ENI, 'eni-0leaked000000000']), sourceCount: 2 }],
      snapshotWith([ourSession]),
    );
    const miscounted = auditLedger([eniItem({ '1': activeSlot }), { ...targetItem, sourceCount: 2 }], snapshotWith([ourSession]));
    const missing = auditLedger([eniItem({ '1': activeSlot })], snapshotWith([ourSession]));

    expect(leaked).toEqual([{ subject: TARGET, message: expect.stringContaining('but slots on') }]);
    expect(miscounted).toEqual([{ subject: TARGET, message: 'sourceCount 2 but 1 sources' }]);
    expect(missing).toEqual([{ subject: TARGET, message: 'slots name this target, which has no ledger item' }]);
  });

  it('reports a source list on a load balancer target, and after a sweep a count that disagrees with the slots', () => {
    const nlb = (items: Item[], sweptLast = false) =>
      auditLedger([eniItem({ '1': activeSlot }), ...items], snapshotWith([ourSession], 'network-load-balancer'), { sweptLast });

    const notCountedYet = nlb([]);
    const countedBySweep = nlb([{ pk: `target#${TARGET}`, sk: 'load', sourceCount: 1 }], true);
    const listed = nlb([targetItem]);
    const miscounted = nlb([{ pk: `target#${TARGET}`, sk: 'load', sourceCount: 3 }], true);
    const neverCounted = nlb([], true);

    expect(notCountedYet).toEqual([]);
    expect(countedBySweep).toEqual([]);
    expect(listed).toEqual([{ subject: TARGET, message: `load balancer target lists sources [${ENI}]` }]);
    expect(miscounted).toEqual([{ subject: TARGET, message: 'sourceCount 3 after a sweep but 1 ENIs hold slots on it' }]);
    expect(neverCounted).toEqual([{ subject: TARGET, message: 'slots name this target, which has no ledger item' }]);
  });
});
