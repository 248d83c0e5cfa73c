/**
 * The fastest any implementation can create N sessions: EC2's mutating bucket (docs/AWS-FACTS.md: 50 tokens, 5 per
 * second, per action) lets 50 creates through at once and then 5 per second; the simulator refills `timeScale`
 * times faster.
 */
export const MUTATING_BUCKET = { capacity: 50, refillPerSecond: 5 } as const;

export function physicalLimitSeconds(sessions: number, timeScale: number): number {
  return Math.max(0, sessions - MUTATING_BUCKET.capacity) / MUTATING_BUCKET.refillPerSecond / timeScale;
}
