/**
 * LocalQueue: the SQS standard queue between an event rule and a function. A received message gets a new receipt
 * handle and is invisible until deleted, or until the (time-scaled) visibility timeout has run out after its
 * delivery failed; then it is visible again; a message received maxReceiveCount times is moved, unchanged, to the
 * dead-letter queue on its next receive (SQS's redrive policy). As an event bus target it takes events the way
 * EventBridge sends them: the event JSON as the message body.
 *
 * Why the countdown starts when the delivery fails, not at receive: locally invocations run in real time while
 * the visibility timeout is scaled (420 s -> 420 ms), so counting from receive would make messages reappear while
 * their batch still runs. The stack keeps VisibilityTimeout >= 6 x the function timeout so that this never happens
 * on AWS either; counting from the failure is what that invariant makes AWS's behaviour.
 */
import { randomUUID } from 'node:crypto';
import type { LambdaErrorPayload } from './dead-letters';
import type { BusTarget } from './event-bus';

/** A message attribute as SQS keeps it (String and Number types; binary ones are not modelled). */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue: string;
}

export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, MessageAttribute>>;
  readonly sentAt: number;
  /** Times received so far (SQS's ApproximateReceiveCount). */
  readonly receiveCount: number;
  readonly firstReceivedAt: number | undefined;
  /** Why its last delivery failed, as told by the consumer (for the dead letter; SQS itself does not keep it). */
  readonly lastError: LambdaErrorPayload | undefined;
}

export interface ReceivedMessage extends QueueMessage {
  readonly receiptHandle: string;
}

export interface LocalQueueOptions {
  /** Logical id of the queue in the stack. */
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** SQS default 30 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** From the RedrivePolicy; undefined: messages are retried until deleted. */
  readonly maxReceiveCount?: number;
  /** Multiplies the visibility timeout (420 s -> 420 ms at 0.001). */
  readonly timeScale?: number;
  /** Called with a message that exceeded maxReceiveCount, after it left this queue. */
  readonly onRedrive?: (message: QueueMessage, queue: LocalQueue) => void;
}

export interface QueueStats {
  readonly sent: number;
  /** Of those, sent with a DelaySeconds (e.g. the hub's deferred records). */
  readonly sentDelayed: number;
  readonly received: number;
  readonly deleted: number;
  /** Deliveries whose visibility timeout ran out (the message became visible again). */
  readonly returned: number;
  readonly redriven: number;
  readonly visible: number;
  readonly inFlight: number;
  /** Sent with a delay that has not run out yet. */
  readonly delayed: number;
}

/** What SendMessage may add to the body. */
export interface SendOptions {
  /** DelaySeconds (0-900): the message is invisible for this long after it is sent. */
  readonly delaySeconds?: number;
  readonly messageAttributes?: Readonly<Record<string, MessageAttribute>>;
}

interface StoredMessage {
  messageId: string;
  body: string;
  messageAttributes: Readonly<Record<string, MessageAttribute>>;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  lastError: LambdaErrorPayload | undefined;
  receiptHandle: string | undefined;
  visibilityTimer: NodeJS.Timeout | undefined;
}

const SQS_DEFAULT_VISIBILITY_SECONDS = 30;
/** SQS's bounds on DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;

export class LocalQueue implements BusTarget {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly maxReceiveCount: number | undefined;
  private readonly visibilityMs: number;
  /** Visible messages in arrival order (a standard queue promises no order; this one keeps it for reproducibility). */
  private readonly visible: StoredMessage[] = [];
  private readonly inFlight = new Map<string, StoredMessage>();
  private readonly delayed = new Map<StoredMessage, NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();
  private readonly counters = { sent: 0, sentDelayed: 0, received: 0, deleted: 0, returned: 0, redriven: 0 };
  private closed = false;

  constructor(private readonly options: LocalQueueOptions) {
    this.logicalId = options.logicalId;
    this.name = options.name;
    this.arn = options.arn;
    this.maxReceiveCount = options.maxReceiveCount;
    this.visibilityMs = (options.visibilityTimeoutSeconds ?? SQS_DEFAULT_VISIBILITY_SECONDS) * 1000 * (options.timeScale ?? 0.001);
  }

  /**
   * SendMessage: returns the message id. A delay is kept in real time, unlike the visibility timeout: the code that
   * asks for one computed it from real time (e.g. the hub deferring records until an account's budget has room), and
   * scaling it would turn a deferral into a busy loop.
   */
  send(body: string, options: SendOptions = {}): string {
    if (this.closed) throw new Error(`queue ${this.name} is closed`);
    const delaySeconds = options.delaySeconds ?? 0;
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS)
      throw new RangeError(`DelaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`);
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      messageAttributes: { ...(options.messageAttributes ?? {}) },
      sentAt: Date.now(),
      receiveCount: 0,
      firstReceivedAt: undefined,
      lastError: undefined,
      receiptHandle: undefined,
      visibilityTimer: undefined,
    };
    this.counters.sent += 1;
    if (delaySeconds === 0) this.makeVisible(message);
    else {
      this.counters.sentDelayed += 1;
      const timer = setTimeout(() => {
        this.delayed.delete(message);
        this.makeVisible(message);
      }, delaySeconds * 1000);
      timer.unref();
      this.delayed.set(message, timer);
    }
    return message.messageId;
  }

  /** EventBridge's SQS target: the event JSON becomes the message body. */
  invokeAsync(event: unknown): Promise<{ messageId: string }> {
    return Promise.resolve({ messageId: this.send(JSON.stringify(event)) });
  }

  /**
   * ReceiveMessage: up to `max` visible messages, each made invisible for the visibility timeout. Messages already
   * received maxReceiveCount times are moved to the dead-letter queue instead of being delivered.
   */
  receive(max: number): ReceivedMessage[] {
    const received: ReceivedMessage[] = [];
    while (received.length < max && this.visible.length > 0) {
      const message = this.visible.shift() as StoredMessage;
      if (this.maxReceiveCount !== undefined && message.receiveCount >= this.maxReceiveCount) {
        this.counters.redriven += 1;
        this.options.onRedrive?.(snapshot(message), this);
        continue;
      }
      const now = Date.now();
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = `${message.messageId}#${message.receiveCount}#${randomUUID()}`;
      this.inFlight.set(message.receiptHandle, message);
      this.counters.received += 1;
      received.push({ ...snapshot(message), receiptHandle: message.receiptHandle });
    }
    return received;
  }

  /** DeleteMessage; false when the receipt handle is stale (the message came back or is gone). */
  delete(receiptHandle: string): boolean {
    const message = this.inFlight.get(receiptHandle);
    if (message === undefined) return false;
    this.inFlight.delete(receiptHandle);
    clearTimeout(message.visibilityTimer);
    this.counters.deleted += 1;
    return true;
  }

  /**
   * The delivery behind this receipt handle failed (why, for the dead letter): the message stays invisible for
   * the visibility timeout, then is visible again. False when the receipt handle is stale.
   */
  fail(receiptHandle: string, error: LambdaErrorPayload): boolean {
    const message = this.inFlight.get(receiptHandle);
    if (message === undefined || message.visibilityTimer !== undefined) return false;
    message.lastError = error;
    message.visibilityTimer = setTimeout(() => this.returnToQueue(message), this.visibilityMs);
    message.visibilityTimer.unref();
    return true;
  }

  get visibleCount(): number {
    return this.visible.length;
  }

  /** Messages sent and not yet deleted or redriven (delayed, visible or in flight). */
  get depth(): number {
    return this.visible.length + this.inFlight.size + this.delayed.size;
  }

  /** Called whenever messages become visible (sent, or back after a visibility timeout). Returns an unsubscribe. */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages as they stand (visible first, delayed last), for inspection. */
  messages(): QueueMessage[] {
    return [...this.visible, ...this.inFlight.values(), ...this.delayed.keys()].map(snapshot);
  }

  stats(): QueueStats {
    return { ...this.counters, visible: this.visible.length, inFlight: this.inFlight.size, delayed: this.delayed.size };
  }

  /** Stops the visibility timers; the messages are dropped with the queue. */
  close(): void {
    this.closed = true;
    for (const message of this.inFlight.values()) clearTimeout(message.visibilityTimer);
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.inFlight.clear();
    this.delayed.clear();
    this.visible.length = 0;
    this.listeners.clear();
  }

  private makeVisible(message: StoredMessage): void {
    if (this.closed) return;
    this.visible.push(message);
    this.notify();
  }

  private returnToQueue(message: StoredMessage): void {
    if (message.receiptHandle === undefined || !this.inFlight.delete(message.receiptHandle)) return;
    message.receiptHandle = undefined;
    message.visibilityTimer = undefined;
    this.counters.returned += 1;
    this.visible.push(message);
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        process.stderr.write(`LocalQueue ${this.name}: listener threw: ${(error as Error)?.stack ?? String(error)}\n`);
      }
    }
  }
}

function snapshot(message: StoredMessage): QueueMessage {
  return {
    messageId: message.messageId,
    body: message.body,
    messageAttributes: message.messageAttributes,
    sentAt: message.sentAt,
    receiveCount: message.receiveCount,
    firstReceivedAt: message.firstReceivedAt,
    lastError: message.lastError,
  };
}
