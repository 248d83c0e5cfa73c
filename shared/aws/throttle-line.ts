/**
 * A first-come-first-served line for one mutating EC2 action of one client. EC2 meters each action apart, per
 * account and Region (a throttled CreateTrafficMirrorSession leaves DeleteTrafficMirrorSession's bucket alone), and
 * refuses with RequestLimitExceeded once its bucket is empty. When every throttled call retries on its own, the one
 * that has waited longest polls least often (its pauses have grown), so a newcomer usually takes the next token:
 * measured in the burst bench, a create could be throttled for 45 s while later ones passed.
 *
 * Here, while one call of the action is being retried for throttling, later calls wait behind it instead of
 * polling EC2 each. Only the head of the line retries, on pauses that grow with the throttles the line has met
 * (250 ms doubling to 2 s, each between half and all of it: the line backs off as one caller); when it gets
 * through, the next goes at once, for a token may be there (the bucket keeps what refilled during the pause).
 * A try after a pause that gets through also takes two steps off the pause (a quarter of it): the bucket refilled
 * within the pause, so the line can ask sooner. Without that, a line throttled all through a burst kept pausing up
 * to 2 s at its end, while fewer and fewer callers competed and the bucket refilled unspent (measured in the burst
 * bench: the last creates came up to 1.25 s late at 3 times EC2's refill rate, as in an account whose EC2 limits
 * were raised; docs/PERFORMANCE.md, "Where the time past the limit goes"). A
 * call may wait at most `waitAtMostMs` from when it joined; as the line is served in order, those ahead of it
 * joined earlier and give up no later, so the head is never the one that times out while newcomers pass. A call
 * past its bound still gets its turn: throttled then, it fails with EC2's RequestLimitExceeded, as it did alone.
 * So does a call throttled past its invocation's deadline (invocation-deadline.ts): the invocation then hands on
 * what it did not get to, instead of being killed at its timeout with nothing recorded.
 * Any other answer of the head (success or another error) hands the line on.
 */
import { isThrottling } from './error-mapping';
import { pastDeadline } from './invocation-deadline';
import { markGivenUp } from './line-give-ups';

export interface ThrottleLineOptions {
  readonly firstPauseMs?: number;
  readonly maxPauseMs?: number;
  /** How long a call may wait in line (from joining it) before a throttled answer is thrown. */
  readonly waitAtMostMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2_000;
const WAIT_AT_MOST_MS = 45_000;

interface Place {
  readonly joinedAt: number;
  /** Resolves when this place is the head of the line. */
  readonly turn: Promise<void>;
  readonly becomeHead: () => void;
  /** It joined an empty line on its own throttled answer: no token is there, so it pauses before trying again. */
  readonly pausesFirst: boolean;
}

export class ThrottleLine {
  private readonly places: Place[] = [];
  /** Steps of the next pause: one more with each pause, two fewer when a try after a pause gets through. */
  private throttledRetries = 0;
  private readonly firstPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly waitAtMostMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(options: ThrottleLineOptions = {}) {
    this.firstPauseMs = options.firstPauseMs ?? FIRST_PAUSE_MS;
    this.maxPauseMs = options.maxPauseMs ?? MAX_PAUSE_MS;
    this.waitAtMostMs = options.waitAtMostMs ?? WAIT_AT_MOST_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Calls waiting in line, the head included. */
  get length(): number {
    return this.places.length;
  }

  /** Makes `attempt` at once when nobody is throttled, else in turn; retries it while it is throttled. */
  async send<T>(attempt: () => Promise<T>): Promise<T> {
    let throttled = false;
    if (this.places.length === 0) {
      try {
        return await attempt();
      } catch (error) {
        if (!isThrottling(error)) throw error;
        throttled = true;
      }
    }
    const place = this.join(throttled && this.places.length === 0);
    try {
      await place.turn;
      return await this.retryAsHead(place, attempt);
    } finally {
      this.leave(place);
    }
  }

  private async retryAsHead<T>(place: Place, attempt: () => Promise<T>): Promise<T> {
    let pause = place.pausesFirst;
    for (;;) {
      if (pause) await this.sleep(this.nextPauseMs());
      let answer: T;
      try {
        answer = await attempt();
      } catch (error) {
        if (!isThrottling(error)) throw error;
        const reachedDeadline = pastDeadline(this.now());
        if (reachedDeadline || this.now() - place.joinedAt >= this.waitAtMostMs) {
          markGivenUp(error as object, reachedDeadline);
          throw error;
        }
        pause = true;
        continue;
      }
      if (pause) this.throttledRetries = Math.max(0, this.throttledRetries - 2);
      return answer;
    }
  }

  private nextPauseMs(): number {
    const ceiling = Math.min(this.maxPauseMs, this.firstPauseMs * 2 ** this.throttledRetries);
    this.throttledRetries += 1;
    return ceiling * (0.5 + this.random() / 2);
  }

  private join(pausesFirst: boolean): Place {
    let becomeHead: () => void = () => undefined;
    const turn = new Promise<void>((resolve) => {
      becomeHead = resolve;
    });
    const place = { joinedAt: this.now(), turn, becomeHead, pausesFirst };
    this.places.push(place);
    if (this.places.length === 1) becomeHead();
    return place;
  }

  /** Only the head leaves (the others wait for their turn): the next becomes head, or the line is gone. */
  private leave(place: Place): void {
    this.places.splice(this.places.indexOf(place), 1);
    const next = this.places[0];
    if (next === undefined) this.throttledRetries = 0;
    else next.becomeHead();
  }
}
