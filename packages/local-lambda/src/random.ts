/**
 * A small seedable PRNG (mulberry32) for the bus's chaos hooks: the same seed replays the same drops, duplicates and
 * delays. The same algorithm as the EC2 simulator's, so one seed drives both, without either package needing the other.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
