/**
 * A seeded chaos schedule: what the operators and the world do to the fleet, step by step. Pure data from a seed,
 * so a failing run is replayed exactly with the same seed (the bus, the faults and the crashes are seeded too).
 */
import { type Random, seededRandom } from '@vpc-mirror-orchestrator/ec2-sim';

/** Supported Nitro and Xen types, plus two EC2 refuses as sources (m6i is on the Nitro exclusion list, t2 is Xen). */
const INSTANCE_TYPES = ['m5.large', 'm5.large', 'c5.large', 'r5.large', 'm4.large', 'm6i.large', 't2.micro'] as const;

export type ChaosStep =
  | { readonly kind: 'launch'; readonly type: string; readonly tagged: boolean; readonly interfaces: number }
  | { readonly kind: 'tag' | 'untag' | 'stop' | 'start' | 'terminate'; readonly instance: number }
  /** A session made by hand (no ownership tag) on the instance's primary ENI. */
  | { readonly kind: 'hand-made'; readonly instance: number }
  /** The same running event sent `copies` times at once: concurrent handlers on one instance. */
  | { readonly kind: 'storm'; readonly instance: number; readonly copies: number }
  /** EC2 faults on every action from now on (rate 0 clears them). */
  | { readonly kind: 'faults'; readonly errorRate: number; readonly errorCode: 'RequestLimitExceeded' | 'InternalError' }
  /** Probability that a mutating mirror call kills the calling handler's process (0 disarms). */
  | { readonly kind: 'crashes'; readonly rate: number }
  | { readonly kind: 'pause'; readonly ms: number };

export interface ScheduleOptions {
  readonly seed: number;
  readonly initialInstances: number;
  readonly steps: number;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function chaosSchedule(options: ScheduleOptions): ChaosStep[] {
  const random = seededRandom(options.seed);
  const steps: ChaosStep[] = [{ kind: 'crashes', rate: 0.3 }];
  let instances = 0;
  const launch = (): ChaosStep => {
    instances += 1;
    return { kind: 'launch', type: pick(random, INSTANCE_TYPES), tagged: random() < 0.75, interfaces: 1 + Math.floor(random() * 3) };
  };
  for (let i = 0; i < options.initialInstances; i += 1) steps.push(launch());
  for (let i = 0; i < options.steps; i += 1) {
    const roll = random();
    const instance = Math.floor(random() * instances);
    if (roll < 0.12) steps.push(launch());
    else if (roll < 0.27) steps.push({ kind: 'tag', instance });
    else if (roll < 0.4) steps.push({ kind: 'untag', instance });
    else if (roll < 0.5) steps.push({ kind: 'stop', instance });
    else if (roll < 0.6) steps.push({ kind: 'start', instance });
    else if (roll < 0.66) steps.push({ kind: 'terminate', instance });
    else if (roll < 0.72) steps.push({ kind: 'hand-made', instance });
    else if (roll < 0.82) steps.push({ kind: 'storm', instance, copies: 2 + Math.floor(random() * 4) });
    else if (roll < 0.9) {
      const on = random() < 0.6;
      steps.push({
        kind: 'faults',
        errorRate: on ? 0.05 + random() * 0.15 : 0,
        errorCode: random() < 0.5 ? 'RequestLimitExceeded' : 'InternalError',
      });
    } else steps.push({ kind: 'pause', ms: 50 + Math.floor(random() * 200) });
  }
  return steps;
}
