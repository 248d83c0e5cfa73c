import { physicalLimitSeconds } from '../../../bench/burst/physical-limit';
import { timePastLimit } from '../../../bench/burst/time-past-limit';

/** Admitted creates at EC2's pace: 50 at `start`, then one every 1 / (5 x scale) s. */
function atThePace(count: number, start: number, timeScale: number): number[] {
  return Array.from({ length: count }, (_, i) => (i < 50 ? start : start + (i - 49) / (5 * timeScale)));
}

describe('where the time past the limit went', () => {
  it('is only the start and the end when every create took the next token', () => {
    const admitted = atThePace(384, 0.2, 1);
    const converged = (admitted.at(-1) ?? 0) + 0.05;

    const past = timePastLimit(admitted, converged, 1);

    expect(past?.firstCreateSeconds).toBeCloseTo(0.2);
    expect(past?.spilledSeconds).toBeCloseTo(0);
    expect(past?.heldAtLastSeconds).toBeCloseTo(0);
    expect(past?.afterLastCreateSeconds).toBeCloseTo(0.05);
  });

  it('counts refill that fell into a full bucket while nobody asked', () => {
    // The 50 at once, then nobody for 3 s at x10: the bucket refills its 50 in 1 s, and 2 s of refill spill.
    const admitted = [...Array.from({ length: 50 }, () => 0), 3];

    const past = timePastLimit(admitted, 3, 10);

    expect(past?.spilledSeconds).toBeCloseTo(2);
    expect(past?.heldAtLastSeconds).toBeCloseTo(49 / 50);
  });

  it('adds up to the time past the limit', () => {
    // A pause in the middle (spill) and a late last create (tokens held) at x3.
    const admitted = [...atThePace(200, 0.3, 3), ...atThePace(184, 0, 3).map((at) => at + 30)].slice(0, 383);
    admitted.push((admitted.at(-1) ?? 0) + 0.5);
    const converged = (admitted.at(-1) ?? 0) + 0.1;

    const past = timePastLimit(admitted, converged, 3);
    const explained =
      (past?.firstCreateSeconds ?? 0) + (past?.spilledSeconds ?? 0) + (past?.heldAtLastSeconds ?? 0) + (past?.afterLastCreateSeconds ?? 0);

    expect(explained).toBeCloseTo(converged - physicalLimitSeconds(admitted.length, 3));
  });

  it('says nothing without a create', () => {
    expect(timePastLimit([], 1, 1)).toBeUndefined();
  });
});
