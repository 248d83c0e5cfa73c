/**
 * Session numbers on one source ENI: 1..32766, distinct, lower = evaluated first. At most 3 sessions per ENI.
 */

export const MAX_SESSIONS_PER_ENI = 3;
export const MIN_SESSION_NUMBER = 1;
export const MAX_SESSION_NUMBER = 32766;

function isValidSessionNumber(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_SESSION_NUMBER && value <= MAX_SESSION_NUMBER;
}

/**
 * Up to `count` numbers not in `used`, best first: the lowest free numbers at or above `preferred` in ascending
 * order, then (wrapping) the free numbers below `preferred`, ascending. Several candidates, because apply re-checks
 * each in the ledger and a concurrent reservation may take the first.
 * Throws RangeError on a preferred number outside 1..32766 or a negative count: configuration validates both, so
 * this is a programming error.
 */
export function freeSessionNumbers(used: Iterable<number>, preferred: number, count: number = MAX_SESSIONS_PER_ENI): number[] {
  if (!isValidSessionNumber(preferred)) {
    throw new RangeError(`preferred session number must be an integer 1..32766, got ${preferred}`);
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const taken = new Set(used);
  const free: number[] = [];
  const collect = (from: number, to: number): void => {
    for (let n = from; n <= to && free.length < count; n += 1) {
      if (!taken.has(n)) free.push(n);
    }
  };
  collect(preferred, MAX_SESSION_NUMBER);
  collect(MIN_SESSION_NUMBER, preferred - 1);
  return free;
}
