import { coverageOf } from '../../shared/domain/coverage';

describe('coverageOf', () => {
  it('counts kept and attached ENIs as mirrored, limits and failures as eligible but missing, and ignores the ineligible', () => {
    const coverage = coverageOf([
      { action: 'keep', eniId: 'eni-1', reason: 'already-mirrored' },
      { action: 'attach', eniId: 'eni-2', reason: 'eligible' },
      { action: 'refuse', eniId: 'eni-3', reason: 'target-pool-full' },
      { action: 'fail', eniId: 'eni-4', reason: 'transient-failure' },
      { action: 'refuse', eniId: 'eni-5', reason: 'interface-type-not-supported' },
      { action: 'skip', eniId: 'eni-6', reason: 'not-primary-interface' },
      { action: 'refuse', reason: 'unsupported-instance-type' },
    ]);

    expect(coverage).toEqual({ eligibleEnis: 4, mirroredEnis: 2, percent: 50 });
  });

  it('is 100% when nothing is eligible', () => {
    expect(coverageOf([{ action: 'skip', reason: 'not-tagged' }])).toEqual({ eligibleEnis: 0, mirroredEnis: 0, percent: 100 });
  });
});
