import fc from 'fast-check';
import { freeSessionNumbers, MAX_SESSION_NUMBER, MIN_SESSION_NUMBER } from '../../shared/domain/session-number';

describe('freeSessionNumbers', () => {
  it('offers the preferred number and the next ones on an empty ENI', () => {
    expect(freeSessionNumbers([], 1)).toEqual([1, 2, 3]);
  });

  it('moves past a hand-made session at number 1', () => {
    expect(freeSessionNumbers([1], 1)).toEqual([2, 3, 4]);
  });

  it('skips numbers in use above the preferred one', () => {
    expect(freeSessionNumbers([10, 11, 13], 10)).toEqual([12, 14, 15]);
  });

  it('wraps to numbers below the preferred one when the top of the range is full', () => {
    expect(freeSessionNumbers([MAX_SESSION_NUMBER - 1, MAX_SESSION_NUMBER], MAX_SESSION_NUMBER - 1)).toEqual([1, 2, 3]);
    expect(freeSessionNumbers([MAX_SESSION_NUMBER], MAX_SESSION_NUMBER, 2)).toEqual([1, 2]);
  });

  it('returns as many as asked', () => {
    expect(freeSessionNumbers([2], 1, 1)).toEqual([1]);
    expect(freeSessionNumbers([2], 1, 5)).toEqual([1, 3, 4, 5, 6]);
  });

  it('returns nothing when every number is taken', () => {
    const all = Array.from({ length: MAX_SESSION_NUMBER }, (_, index) => index + 1);

    expect(freeSessionNumbers(all, 1)).toEqual([]);
  });

  it("uses EC2's whole session number range, 1..32766", () => {
    expect([MIN_SESSION_NUMBER, MAX_SESSION_NUMBER]).toEqual([1, 32766]);
    expect(freeSessionNumbers([], 32766, 1)).toEqual([32766]);
  });

  it.each([0, 32767, 1.5, Number.NaN])('rejects the preferred number %s', (preferred) => {
    expect(() => freeSessionNumbers([], preferred)).toThrow(RangeError);
  });
});

describe('freeSessionNumbers (properties)', () => {
  const usedArb = fc.array(fc.integer({ min: MIN_SESSION_NUMBER, max: MAX_SESSION_NUMBER }), { maxLength: 20 });
  const preferredArb = fc.oneof(
    fc.integer({ min: MIN_SESSION_NUMBER, max: 10 }),
    fc.integer({ min: MAX_SESSION_NUMBER - 10, max: MAX_SESSION_NUMBER }),
    fc.integer({ min: MIN_SESSION_NUMBER, max: MAX_SESSION_NUMBER }),
  );

  it('offers distinct valid numbers nobody uses, at or above the preferred one before any below it', () => {
    fc.assert(
      fc.property(usedArb, preferredArb, fc.integer({ min: 0, max: 5 }), (used, preferred, count) => {
        const free = freeSessionNumbers(used, preferred, count);

        expect(free).toHaveLength(count);
        expect(new Set(free).size).toBe(free.length);
        for (const number of free) {
          expect(used).not.toContain(number);
          expect(number).toBeGreaterThanOrEqual(MIN_SESSION_NUMBER);
          expect(number).toBeLessThanOrEqual(MAX_SESSION_NUMBER);
        }
        const above = free.filter((number) => number >= preferred);
        expect(free.slice(0, above.length)).toEqual(above);
        expect(above).toEqual([...above].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});
