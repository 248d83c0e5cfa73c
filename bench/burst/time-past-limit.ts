/**
 * Where a burst's time past the physical limit went, from the moments EC2 admitted a create. The create bucket
 * changes only when a create is admitted (a throttled call takes nothing), so those moments replay it exactly:
 * - before the first create: the events and the first planning (the limit counts from the launch);
 * - tokens that refilled into a full bucket: EC2 had a token and nobody asked (pauses too long, or no demand yet);
 * - after the last create: its answer, the ledger's record and the bench seeing it.
 * What is left is the tokens the bucket still held at the last create (demand that came late).
 */
import { MUTATING_BUCKET } from './physical-limit';

export interface TimePastLimit {
  readonly firstCreateSeconds: number;
  /** Refill that fell into a full bucket between the first and the last create, in seconds of refill. */
  readonly spilledSeconds: number;
  /** Tokens the bucket held when the last create was admitted, in seconds of refill. */
  readonly heldAtLastSeconds: number;
  readonly afterLastCreateSeconds: number;
}

/** `admittedAt`: seconds since the launch, in order; `convergedSeconds`: when the bench saw every session. */
export function timePastLimit(admittedAt: readonly number[], convergedSeconds: number, timeScale: number): TimePastLimit | undefined {
  const first = admittedAt[0];
  const last = admittedAt.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const refillPerSecond = MUTATING_BUCKET.refillPerSecond * timeScale;
  let tokens: number = MUTATING_BUCKET.capacity;
  let spilled = 0;
  let previous = first;
  for (const at of admittedAt) {
    const refilled = tokens + (at - previous) * refillPerSecond;
    spilled += Math.max(0, refilled - MUTATING_BUCKET.capacity);
    tokens = Math.min(MUTATING_BUCKET.capacity, refilled) - 1;
    previous = at;
  }
  return {
    firstCreateSeconds: first,
    spilledSeconds: spilled / refillPerSecond,
    heldAtLastSeconds: Math.max(0, tokens) / refillPerSecond,
    afterLastCreateSeconds: convergedSeconds - last,
  };
}
