/**
 * How an invocation's racers learn what the holders of their ENIs' reservations did: every ENI waited on is read in
 * one ledger request per tick, whichever instance run waits on it, with the last decisions of the waiting instances
 * in the same BatchGetItem. A batch whose instances wait on another invocation's pays one read a tick, not one per
 * ENI, and learns the decisions the holder recorded, so that it need not write them again. Holders a run can leave
 * the ENI to (an SQS-triggered holder making the same session: leftToHolder) are not waited on at all; these are
 * the others (a sweep's, a CLI run's, a direct invocation's, or one making the session with other settings).
 */
import type { EniLedger } from '../domain/eni-slots';
import type { ConvergeDeps } from './ports';

/**
 * Pauses between ticks while someone waits: half a second first, then 1 s, 2 s, then every 3 s. A holder is rarely
 * done sooner: racers meet holders whose creates EC2 is throttling (in the x1 burst, a ramp starting at 0.1 s made
 * 158 of a burst's 219 BatchGetItem), and a holder waiting in the throttle line is done a few seconds later at best.
 * A cap of 3 s instead of 2 s took an x1 burst's ticks from 164 to 138; the racer learns the outcome at most 3 s
 * after the holder recorded it, and the session it waits on exists by then.
 */
const TICK_MS: readonly number[] = [500, 1_000, 2_000];
const TICK_CAP_MS = 3_000;

/** One ENI as a tick read it. */
export interface WatchedEni {
  /** undefined: the ENI has no item any more. */
  readonly ledger: EniLedger | undefined;
  /** The waiting instance's last decisions as the ledger holds them now (undefined: none recorded). */
  readonly lastDecisions: Readonly<Record<string, string>> | undefined;
}

interface Waiter {
  readonly eniId: string;
  readonly instanceId: string;
  readonly resolve: (watched: WatchedEni) => void;
  readonly reject: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HolderWatch {
  private waiting: Waiter[] = [];
  private ticking = false;

  /** `pause`: how a tick waits (tests record the pace instead of sleeping). */
  constructor(
    private readonly deps: Pick<ConvergeDeps, 'ledger'>,
    private readonly pause: (ms: number) => Promise<void> = sleep,
  ) {}

  /** The ENI's item (and the instance's last decisions) as read at the next tick. */
  next(eniId: string, instanceId: string): Promise<WatchedEni> {
    const watched = new Promise<WatchedEni>((resolve, reject) => this.waiting.push({ eniId, instanceId, resolve, reject }));
    if (!this.ticking) void this.tick();
    return watched;
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    // The pace grows while waiters keep coming back (a holder EC2 keeps waiting), and starts quick again once idle.
    // Who comes back does so while the next pause runs, so the loop ends only after a pause nobody came back in.
    for (let round = 0; ; round += 1) {
      await this.pause(TICK_MS[round] ?? TICK_CAP_MS);
      const waiters = this.waiting.splice(0);
      if (waiters.length === 0) break;
      try {
        const { ledgers, lastDecisions } = await this.deps.ledger.readPlanItems({
          eniIds: waiters.map((waiter) => waiter.eniId),
          targetIds: [],
          instanceIds: waiters.map((waiter) => waiter.instanceId),
        });
        for (const waiter of waiters) {
          waiter.resolve({ ledger: ledgers.get(waiter.eniId), lastDecisions: lastDecisions.get(waiter.instanceId) });
        }
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.ticking = false;
  }
}
