/**
 * LocalEventBus: the local EventBridge. Rules (pattern -> target) come from the stack; every event put on the bus
 * goes, as an async invocation, to each enabled rule whose pattern matches, and is recorded for inspection.
 * Around it: PutEvents' entry checks and envelopes (put-events.ts), the deliveries with their chaos hooks
 * (deliveries.ts) and the HTTP endpoint the real SDK reaches (bus-endpoint.ts).
 */
import { type BusEndpoint, startBusEndpoint } from './bus-endpoint';
import { Deliveries } from './deliveries';
import { type EventPattern, matchesPattern, validatePattern } from './event-pattern';
import { busNameOf, entryProblem, envelopeOf, type PutEventsEntry, type PutEventsResult } from './put-events';

export type { PutEventsEntry, PutEventsResult } from './put-events';

export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** Anything that takes async invocations: a LocalLambda, or a test double. */
export interface BusTarget {
  invokeAsync(event: unknown): Promise<unknown>;
}

export interface BusRule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly target: BusTarget;
  /** Bus the rule sits on; undefined means the default bus. */
  readonly eventBusName?: string | undefined;
  readonly enabled?: boolean;
}

export interface BusChaos {
  readonly seed?: number;
  /** Probability that a delivery to a target is skipped (EventBridge's "sometimes never"). */
  readonly dropRate?: number;
  /** Probability that a delivery happens twice (at least once). */
  readonly duplicateRate?: number;
  /** Probability that a delivery is held back by a random delay up to maxDelayMs (reordering). */
  readonly delayRate?: number;
  readonly maxDelayMs?: number;
}

export interface ReceivedEvent {
  readonly event: EventEnvelope;
  readonly busName: string;
  /** Names of the rules that matched. */
  readonly matchedRules: readonly string[];
  readonly receivedAt: number;
}

export interface BusStats {
  readonly received: number;
  readonly matched: number;
  readonly unmatched: number;
  readonly deliveries: number;
  readonly dropped: number;
  readonly duplicated: number;
  readonly delayed: number;
  readonly failedEntries: number;
  /** Deliveries delayed or whose invocation has not finished. */
  readonly pending: number;
}

export interface LocalEventBusOptions {
  readonly region?: string;
  readonly accountId?: string;
  readonly rules?: readonly BusRule[];
  readonly chaos?: BusChaos;
  /** Sources whose events are kept apart for inspection (outcomes()), e.g. an application's own source. Default: none. */
  readonly outcomeSources?: readonly string[];
  /** How many received events are kept (oldest dropped first). Default 50,000. */
  readonly maxRecorded?: number;
}

export const DEFAULT_BUS = 'default';

export class LocalEventBus {
  readonly region: string;
  readonly accountId: string;
  private readonly ruleList: BusRule[] = [];
  private readonly received: ReceivedEvent[] = [];
  private readonly outcomeSources: ReadonlySet<string>;
  private readonly maxRecorded: number;
  private readonly listeners = new Set<(received: ReceivedEvent) => void>();
  private readonly deliveries = new Deliveries();
  private endpoint: BusEndpoint | undefined;
  private readonly counters = { received: 0, matched: 0, unmatched: 0, failedEntries: 0 };

  constructor(options: LocalEventBusOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.outcomeSources = new Set(options.outcomeSources ?? []);
    this.maxRecorded = options.maxRecorded ?? 50_000;
    for (const rule of options.rules ?? []) this.addRule(rule);
    this.setChaos(options.chaos);
  }

  addRule(rule: BusRule): void {
    validatePattern(rule.pattern);
    if (this.ruleList.some((existing) => existing.name === rule.name)) throw new Error(`rule ${rule.name} already exists`);
    this.ruleList.push(rule);
  }

  removeRule(name: string): boolean {
    const index = this.ruleList.findIndex((rule) => rule.name === name);
    if (index >= 0) this.ruleList.splice(index, 1);
    return index >= 0;
  }

  rules(): readonly BusRule[] {
    return [...this.ruleList];
  }

  /** Turns the chaos hooks on (with a fresh seeded random source) or off (undefined). */
  setChaos(chaos: BusChaos | undefined): void {
    this.deliveries.setChaos(chaos);
  }

  /** Routes a complete event (e.g. a fixture) as if EventBridge had received it on `busName`. */
  put(event: EventEnvelope, busName: string = DEFAULT_BUS): ReceivedEvent {
    const bus = busNameOf(busName);
    const matchedRules = this.ruleList.filter(
      (rule) => rule.enabled !== false && busNameOf(rule.eventBusName ?? DEFAULT_BUS) === bus && matchesPattern(rule.pattern, event),
    );
    this.counters.received += 1;
    if (matchedRules.length > 0) this.counters.matched += 1;
    else this.counters.unmatched += 1;
    const received: ReceivedEvent = { event, busName: bus, matchedRules: matchedRules.map((rule) => rule.name), receivedAt: Date.now() };
    this.received.push(received);
    if (this.received.length > this.maxRecorded) this.received.shift();
    for (const rule of matchedRules) this.deliveries.deliver(rule, event);
    for (const listener of this.listeners) listener(received);
    return received;
  }

  /** PutEvents semantics: builds each envelope, routes it, reports per-entry failures without failing the batch. */
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    const results = entries.map((entry) => {
      const problem = entryProblem(entry);
      if (problem) {
        this.counters.failedEntries += 1;
        return problem;
      }
      const event = envelopeOf(entry, this);
      this.put(event, entry.EventBusName ?? DEFAULT_BUS);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  /** Everything received, oldest first (bounded by maxRecorded). */
  events(): readonly ReceivedEvent[] {
    return [...this.received];
  }

  /** Events whose source is one of the outcome sources given at construction. */
  outcomes(): readonly EventEnvelope[] {
    return this.received.filter((received) => this.outcomeSources.has(received.event.source)).map((received) => received.event);
  }

  onEvent(listener: (received: ReceivedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first event (already received or arriving) that satisfies `predicate`; rejects after timeoutMs. */
  waitFor(predicate: (event: EventEnvelope) => boolean, timeoutMs = 10_000): Promise<EventEnvelope> {
    const already = this.received.find((received) => predicate(received.event));
    if (already) return Promise.resolve(already.event);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching event on the local bus within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.onEvent((received) => {
        if (!predicate(received.event)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(received.event);
      });
    });
  }

  stats(): BusStats {
    return { ...this.counters, ...this.deliveries.counters, pending: this.deliveries.pending };
  }

  /** Waits until no delivery is delayed or running; false if that did not happen within timeoutMs. */
  drain(timeoutMs = 60_000): Promise<boolean> {
    return this.deliveries.drain(timeoutMs);
  }

  /** Starts the PutEvents endpoint on 127.0.0.1 and returns its URL (http://127.0.0.1:PORT). */
  async listen(port = 0): Promise<string> {
    this.endpoint ??= await startBusEndpoint((entries) => this.putEvents(entries), port);
    return this.endpoint.url;
  }

  get url(): string | undefined {
    return this.endpoint?.url;
  }

  /** Closes the endpoint and cancels delayed deliveries. Running invocations belong to their targets. */
  async stop(): Promise<void> {
    this.deliveries.cancelDelayed();
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    await endpoint?.close();
  }
}
