import { MIRRORED, repeatsLastDecision, sameDecisions } from '../../shared/domain/last-decisions';

const ENI_A = 'eni-0aaaaaaaaaaaaaaaa';
const ENI_B = 'eni-0bbbbbbbbbbbbbbbb';

describe('sameDecisions', () => {
  it('compares decisions whatever their order', () => {
    expect(
      sameDecisions({ [ENI_A]: MIRRORED, [ENI_B]: 'refuse:target-pool-full' }, { [ENI_B]: 'refuse:target-pool-full', [ENI_A]: MIRRORED }),
    ).toBe(true);
  });

  it("takes a stop's detaches and the skip of the instance they leave for the same state", () => {
    const detached = { [ENI_A]: 'detach:not-running', [ENI_B]: 'detach:not-running' };

    expect(sameDecisions({ '-': 'skip:not-running' }, detached)).toBe(true);
    expect(sameDecisions(detached, { '-': 'skip:not-running' })).toBe(true);
  });

  it('tells apart detaches for another reason, a partial detach, and a mirrored ENI', () => {
    expect(sameDecisions({ '-': 'skip:not-running' }, { [ENI_A]: 'detach:not-tagged' })).toBe(false);
    expect(sameDecisions({ '-': 'skip:not-running' }, { [ENI_A]: 'detach:not-running', [ENI_B]: MIRRORED })).toBe(false);
    expect(sameDecisions({ '-': 'skip:not-running' }, { [ENI_A]: 'refuse:not-running' })).toBe(false);
    expect(sameDecisions({}, { '-': 'skip:not-running' })).toBe(false);
  });
});

describe('repeatsLastDecision', () => {
  it('finds a skip or refusal repeated on the same key', () => {
    expect(repeatsLastDecision({ '-': 'skip:not-running' }, '-', 'skip', 'not-running')).toBe(true);
    expect(repeatsLastDecision({ [ENI_A]: 'refuse:target-pool-full' }, ENI_A, 'refuse', 'target-pool-full')).toBe(true);
    expect(repeatsLastDecision({ [ENI_A]: 'refuse:target-pool-full' }, ENI_B, 'refuse', 'target-pool-full')).toBe(false);
  });

  it("takes the instance's skip after detaches for its reason as a repeat, and nothing else", () => {
    const detached = { [ENI_A]: 'detach:not-running' };

    expect(repeatsLastDecision(detached, '-', 'skip', 'not-running')).toBe(true);
    expect(repeatsLastDecision(detached, '-', 'skip', 'not-tagged')).toBe(false);
    expect(repeatsLastDecision(detached, '-', 'refuse', 'not-running')).toBe(false);
    expect(repeatsLastDecision(detached, ENI_A, 'detach', 'not-running')).toBe(false);
  });
});
