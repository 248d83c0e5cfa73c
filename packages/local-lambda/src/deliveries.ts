/**
 * Deliveries from the bus to its targets, as async invocations, with the chaos hooks: a delivery may be dropped
 * (EventBridge's "sometimes never"), duplicated (at least once) or delayed (reordered), driven by a seeded random
 * source so a run can be replayed. Keeps track of what is delayed or running, for drain().
 */
import type { BusChaos, BusRule, EventEnvelope } from './event-bus';
import { seededRandom } from './random';

export interface DeliveryCounters {
  deliveries: number;
  dropped: number;
  duplicated: number;
  delayed: number;
}

export class Deliveries {
  readonly counters: DeliveryCounters = { deliveries: 0, dropped: 0, duplicated: 0, delayed: 0 };
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private chaos: BusChaos | undefined;
  private random: () => number = Math.random;

  /** Turns the chaos hooks on (with a fresh seeded random source) or off (undefined). */
  setChaos(chaos: BusChaos | undefined): void {
    this.chaos = chaos;
    this.random = chaos ? seededRandom(chaos.seed ?? 1) : Math.random;
  }

  deliver(rule: BusRule, event: EventEnvelope): void {
    const chaos = this.chaos;
    if (chaos && this.random() < (chaos.dropRate ?? 0)) {
      this.counters.dropped += 1;
      return;
    }
    const copies = chaos && this.random() < (chaos.duplicateRate ?? 0) ? 2 : 1;
    if (copies === 2) this.counters.duplicated += 1;
    for (let copy = 0; copy < copies; copy += 1) {
      if (chaos && this.random() < (chaos.delayRate ?? 0)) {
        this.counters.delayed += 1;
        const timer = setTimeout(
          () => {
            this.timers.delete(timer);
            this.invoke(rule, event);
          },
          Math.floor(this.random() * (chaos.maxDelayMs ?? 1_000)),
        );
        this.timers.add(timer);
      } else {
        this.invoke(rule, event);
      }
    }
  }

  /** Deliveries delayed or whose invocation has not finished. */
  get pending(): number {
    return this.inFlight.size + this.timers.size;
  }

  /** Waits until no delivery is delayed or running; false if that did not happen within timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const pause = sleep(Math.min(remaining, 50));
      await (this.inFlight.size > 0 ? Promise.race([Promise.allSettled([...this.inFlight]), pause]) : pause);
    }
    return true;
  }

  /** Cancels the delayed deliveries. Running invocations belong to their targets. */
  cancelDelayed(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private invoke(rule: BusRule, event: EventEnvelope): void {
    this.counters.deliveries += 1;
    let running: Promise<unknown>;
    try {
      running = rule.target.invokeAsync(event).catch(() => undefined);
    } catch {
      running = Promise.resolve();
    }
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
