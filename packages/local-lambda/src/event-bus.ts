/**
 * LocalEventBus: the local EventBridge. Rules (pattern -> target) come from the stack; every event put on the bus
 * goes, as an async invocation, to each enabled rule whose pattern matches. It also listens on 127.0.0.1 for
 * EventBridge's PutEvents (AWS JSON 1.1), so any publisher reaches it through the real SDK
 * (AWS_ENDPOINT_URL_EVENTBRIDGE). Chaos hooks duplicate, delay (reorder) and drop deliveries, driven by a seeded
 * random source so a run can be replayed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesPattern, validatePattern, type EventPattern } from './event-pattern';
import { seededRandom } from './random';

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

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  /** ISO string, Date, or epoch seconds (what the SDK sends on the wire). */
  readonly Time?: string | number | Date;
  readonly EventBusName?: string;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: ReadonlyArray<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
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
const MAX_ENTRIES_PER_PUT = 10;
const MAX_BODY_BYTES = 1024 * 1024;

export class LocalEventBus {
  readonly region: string;
  readonly accountId: string;
  private readonly ruleList: BusRule[] = [];
  private readonly received: ReceivedEvent[] = [];
  private readonly outcomeSources: ReadonlySet<string>;
  private readonly maxRecorded: number;
  private readonly listeners = new Set<(received: ReceivedEvent) => void>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private chaos: BusChaos | undefined;
  private random: () => number = Math.random;
  private server: Server | undefined;
  private endpoint: string | undefined;
  private readonly counters = { received: 0, matched: 0, unmatched: 0, deliveries: 0, dropped: 0, duplicated: 0, delayed: 0, failedEntries: 0 };

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
    this.chaos = chaos;
    this.random = chaos ? seededRandom(chaos.seed ?? 1) : Math.random;
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
    for (const rule of matchedRules) this.deliver(rule, event);
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
      const event = this.envelope(entry);
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
    return { ...this.counters, pending: this.inFlight.size + this.timers.size };
  }

  /** Waits until no delivery is delayed or running; false if that did not happen within timeoutMs. */
  async drain(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size + this.timers.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const pause = sleep(Math.min(remaining, 50));
      await (this.inFlight.size > 0 ? Promise.race([Promise.allSettled([...this.inFlight]), pause]) : pause);
    }
    return true;
  }

  /** Starts the PutEvents endpoint on 127.0.0.1 and returns its URL (http://127.0.0.1:PORT). */
  async listen(port = 0): Promise<string> {
    if (this.endpoint) return this.endpoint;
    const server = createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  get url(): string | undefined {
    return this.endpoint;
  }

  /** Closes the endpoint and cancels delayed deliveries. Running invocations belong to their targets. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    this.endpoint = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private deliver(rule: BusRule, event: EventEnvelope): void {
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
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.invoke(rule, event);
        }, Math.floor(this.random() * (chaos.maxDelayMs ?? 1_000)));
        this.timers.add(timer);
      } else {
        this.invoke(rule, event);
      }
    }
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

  private envelope(entry: PutEventsEntry): EventEnvelope {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType as string,
      source: entry.Source as string,
      account: this.accountId,
      time: timeOf(entry.Time),
      region: this.region,
      resources: [...(entry.Resources ?? [])],
      detail: JSON.parse(entry.Detail as string),
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
      response.end(JSON.stringify(body));
    };
    const fail = (status: number, type: string, message: string) => reply(status, { __type: type, message });
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const text = await readBody(request);
      if (request.method !== 'POST') return fail(400, 'UnknownOperationException', `${request.method} is not supported`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text || '{}') as Record<string, unknown>;
      } catch {
        return fail(400, 'SerializationException', 'the request body is not JSON');
      }
      if (target === 'AWSEvents.PutEvents') {
        const entries = body['Entries'];
        if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES_PER_PUT) {
          return fail(400, 'ValidationException', `Entries must hold 1 to ${MAX_ENTRIES_PER_PUT} entries`);
        }
        return reply(200, this.putEvents(entries as PutEventsEntry[]));
      }
      if (target === 'AWSEvents.TestEventPattern') {
        const pattern: unknown = JSON.parse(String(body['EventPattern']));
        validatePattern(pattern);
        return reply(200, { Result: matchesPattern(pattern, JSON.parse(String(body['Event']))) });
      }
      return fail(400, 'UnknownOperationException', `the local bus does not implement ${target || 'this operation'}`);
    } catch (error) {
      fail(400, 'ValidationException', (error as Error).message);
    }
  }
}

function entryProblem(entry: PutEventsEntry): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (!entry.Source) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' };
  if (!entry.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' };
  if (entry.Detail === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' };
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

function timeOf(time: PutEventsEntry['Time']): string {
  // EventBridge's envelope carries seconds precision: 2026-10-02T14:05:11Z.
  const date = time === undefined ? new Date() : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function busNameOf(nameOrArn: string): string {
  const marker = ':event-bus/';
  return nameOrArn.includes(marker) ? nameOrArn.slice(nameOrArn.indexOf(marker) + marker.length) : nameOrArn;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
