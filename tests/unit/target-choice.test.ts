import fc from 'fast-check';
import { rankTargets } from '../../shared/domain/target-choice';
import type { TargetFacts } from '../../shared/domain/types';

const eniTarget = (targetId: string, availabilityZone: string, sourceLimit = 10): TargetFacts => ({
  targetId,
  kind: 'network-interface',
  availabilityZone,
  sourceLimit,
});
const nlb = (targetId: string): TargetFacts => ({ targetId, kind: 'network-load-balancer', sourceLimit: null });
const gwlbe = (targetId: string): TargetFacts => ({ targetId, kind: 'gateway-load-balancer-endpoint', sourceLimit: null });
const ids = (targets: readonly TargetFacts[]) => targets.map((target) => target.targetId);
const ENI = 'eni-0123456789abcdef0';

describe('rankTargets', () => {
  it('ranks same-zone ENI targets, then load balancers, then ENI targets in other zones', () => {
    const targets = [eniTarget('tmt-other', 'eu-west-1b'), nlb('tmt-nlb'), eniTarget('tmt-same', 'eu-west-1a')];

    expect(ids(rankTargets(ENI, 'eu-west-1a', targets, new Map()))).toEqual(['tmt-same', 'tmt-nlb', 'tmt-other']);
  });

  it('prefers the least loaded target by fill ratio within a group', () => {
    const targets = [eniTarget('tmt-small', 'a', 10), eniTarget('tmt-large', 'a', 100)];
    const loads = new Map([
      ['tmt-small', 3],
      ['tmt-large', 20],
    ]);

    expect(ids(rankTargets(ENI, 'a', targets, loads))).toEqual(['tmt-large', 'tmt-small']);
  });

  it('leaves out targets at or above their source limit', () => {
    const targets = [eniTarget('tmt-full', 'a', 10), eniTarget('tmt-over', 'a', 10), eniTarget('tmt-room', 'b', 10)];
    const loads = new Map([
      ['tmt-full', 10],
      ['tmt-over', 11],
      ['tmt-room', 9],
    ]);

    expect(ids(rankTargets(ENI, 'a', targets, loads))).toEqual(['tmt-room']);
  });

  it('never leaves out an unlimited load balancer target, whatever its load', () => {
    const targets = [nlb('tmt-busy'), gwlbe('tmt-quiet')];
    const loads = new Map([
      ['tmt-busy', 100_000],
      ['tmt-quiet', 5],
    ]);

    expect(new Set(ids(rankTargets(ENI, 'a', targets, loads)))).toEqual(new Set(['tmt-quiet', 'tmt-busy']));
  });

  it('spreads ENIs evenly over load balancer targets whatever their last counted loads, each ENI always to the same one', () => {
    // Loads counted by the last sweep, long before this burst: ranking by them would send every ENI to tmt-new.
    const targets = [nlb('tmt-old'), nlb('tmt-new'), gwlbe('tmt-gwlbe')];
    const loads = new Map([
      ['tmt-old', 900],
      ['tmt-new', 0],
      ['tmt-gwlbe', 450],
    ]);
    const eniIds = Array.from({ length: 3_000 }, (_, index) => `eni-${index.toString(16).padStart(17, '0')}`);

    const firsts = eniIds.map((eniId) => rankTargets(eniId, 'a', targets, loads)[0]?.targetId);
    const again = eniIds.map((eniId) => rankTargets(eniId, 'a', [...targets].reverse(), loads)[0]?.targetId);

    const counts = ['tmt-old', 'tmt-new', 'tmt-gwlbe'].map((id) => firsts.filter((first) => first === id).length);
    for (const count of counts) expect(Math.abs(count - 1_000)).toBeLessThan(150);
    expect(again).toEqual(firsts);
  });

  it('breaks ties by target id, whatever the input order', () => {
    const targets = [eniTarget('tmt-b', 'a'), eniTarget('tmt-a', 'a'), eniTarget('tmt-c', 'a', 100)];
    const loads = new Map([
      ['tmt-a', 1],
      ['tmt-b', 1],
      ['tmt-c', 10],
    ]);

    expect(ids(rankTargets(ENI, 'a', targets, loads))).toEqual(['tmt-a', 'tmt-b', 'tmt-c']);
    expect(ids(rankTargets(ENI, 'a', [...targets].reverse(), loads))).toEqual(['tmt-a', 'tmt-b', 'tmt-c']);
  });

  it('treats a target missing from the loads as empty and counts a repeated target once', () => {
    const targets = [eniTarget('tmt-x', 'a'), eniTarget('tmt-x', 'a'), eniTarget('tmt-y', 'a')];

    expect(ids(rankTargets(ENI, 'a', targets, new Map([['tmt-y', 1]])))).toEqual(['tmt-x', 'tmt-y']);
  });

  it('puts an ENI target without a limit after the limited ones of its group', () => {
    const unlimitedEni: TargetFacts = { targetId: 'tmt-0', kind: 'network-interface', availabilityZone: 'a', sourceLimit: null };

    expect(ids(rankTargets(ENI, 'a', [unlimitedEni, eniTarget('tmt-1', 'a')], new Map([['tmt-1', 9]])))).toEqual(['tmt-1', 'tmt-0']);
  });

  it('returns nothing when every target is full', () => {
    expect(rankTargets(ENI, 'a', [eniTarget('tmt-full', 'a', 10)], new Map([['tmt-full', 10]]))).toEqual([]);
  });
});

describe('rankTargets (properties)', () => {
  const targetsArb = fc.uniqueArray(
    fc
      .record({
        targetId: fc.stringMatching(/^tmt-[0-9a-f]{17}$/),
        kind: fc.constantFrom('network-interface' as const, 'network-load-balancer' as const, 'gateway-load-balancer-endpoint' as const),
        availabilityZone: fc.constantFrom('a', 'b', 'c'),
        sourceLimit: fc.constantFrom(1, 10, 100),
      })
      .map(
        (target): TargetFacts =>
          target.kind === 'network-interface' ? target : { targetId: target.targetId, kind: target.kind, sourceLimit: null },
      ),
    { maxLength: 8, selector: (target) => target.targetId },
  );
  const worldArb = targetsArb.chain((targets) =>
    fc.record({
      targets: fc.constant(targets),
      loads: fc.tuple(...targets.map(() => fc.integer({ min: 0, max: 120 }))),
      zone: fc.constantFrom('a', 'b', 'c'),
      shuffled: fc.shuffledSubarray(targets, { minLength: targets.length }),
    }),
  );

  it('keeps exactly the targets with room, in an order that does not depend on the input order', () => {
    fc.assert(
      fc.property(worldArb, ({ targets, loads, zone, shuffled }) => {
        const loadById = new Map(targets.map((target, index) => [target.targetId, loads[index] ?? 0]));
        const withRoom = targets.filter((t) => t.sourceLimit === null || (loadById.get(t.targetId) ?? 0) < t.sourceLimit);

        const ranked = rankTargets(ENI, zone, targets, loadById);

        expect(new Set(ids(ranked))).toEqual(new Set(ids(withRoom)));
        expect(ids(rankTargets(ENI, zone, shuffled, loadById))).toEqual(ids(ranked));
        const sameZone = ranked.filter((t) => t.kind === 'network-interface' && t.availabilityZone === zone);
        expect(ranked.slice(0, sameZone.length)).toEqual(sameZone);
      }),
      { numRuns: 200 },
    );
  });
});
