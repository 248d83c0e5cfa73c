/**
 * The EventBridge events EC2 would cause, in AWS's envelope: delivered to in-process listeners and, when an
 * endpoint is configured, forwarded by PutEvents. Delivery is asynchronous and best effort: a failing listener or
 * an unreachable bus never reaches the EC2 request path.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import type { Instance } from './model/state';

export type SimEvent = EventBridgeEvent<string, unknown>;
export type EventListener = (event: SimEvent) => void;

export interface EventHubOptions {
  readonly region: string;
  readonly accountId: string;
  readonly cloudTrailEvents: boolean;
  readonly eventBridgeEndpoint?: string;
  readonly eventBusName?: string;
}

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES_PER_PUT = 10;

export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly client?: EventBridgeClient;
  /** Events waiting for PutEvents: sent in order, 10 per call, one call at a time. */
  private readonly outbox: SimEvent[] = [];
  private pumping = false;
  private failures = 0;

  constructor(private readonly options: EventHubOptions) {
    if (options.eventBridgeEndpoint) {
      this.client = new EventBridgeClient({
        endpoint: options.eventBridgeEndpoint,
        region: options.region,
        credentials: { accessKeyId: 'simulator', secretAccessKey: 'simulator' },
        maxAttempts: 3,
      });
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Deliveries (listener calls and PutEvents) that threw or were rejected. */
  deliveryFailures(): number {
    return this.failures;
  }

  instanceStateChanged(instanceId: string, state: string): void {
    this.emit('aws.ec2', 'EC2 Instance State-change Notification', [this.instanceArn(instanceId)], {
      'instance-id': instanceId,
      state,
    });
  }

  instanceTagsChanged(instance: Instance, changedKeys: string[]): void {
    this.emit('aws.tag', 'Tag Change on Resource', [this.instanceArn(instance.instanceId)], {
      'changed-tag-keys': changedKeys,
      service: 'ec2',
      'resource-type': 'instance',
      version: instance.tagVersion,
      tags: Object.fromEntries(instance.tags),
    });
  }

  tagsApiCalled(
    eventName: 'CreateTags' | 'DeleteTags',
    resourceIds: string[],
    tags: Array<{ key: string; value?: string }>,
    requestId: string,
  ): void {
    this.apiCalled(
      eventName,
      {
        resourcesSet: { items: resourceIds.map((resourceId) => ({ resourceId })) },
        tagSet: { items: tags.map((tag) => (tag.value === undefined ? { key: tag.key } : { key: tag.key, value: tag.value })) },
      },
      { _return: true },
      requestId,
    );
  }

  /** CloudTrail's record of AttachNetworkInterface: its parameters as given, the attachment id in the response. */
  interfaceAttached(networkInterfaceId: string, instanceId: string, deviceIndex: number, attachmentId: string, requestId: string): void {
    this.apiCalled('AttachNetworkInterface', { networkInterfaceId, instanceId, deviceIndex }, { requestId, attachmentId }, requestId);
  }

  private apiCalled(eventName: string, requestParameters: unknown, responseElements: unknown, requestId: string): void {
    if (!this.options.cloudTrailEvents) return;
    this.emit('aws.ec2', 'AWS API Call via CloudTrail', [], {
      eventVersion: '1.08',
      eventTime: isoSeconds(new Date()),
      eventSource: 'ec2.amazonaws.com',
      eventName,
      awsRegion: this.options.region,
      requestParameters,
      responseElements,
      requestID: requestId,
      eventID: randomUUID(),
      eventType: 'AwsApiCall',
    });
  }

  /** Resolves when every delivery started so far has finished. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.listeners.clear();
    this.client?.destroy();
  }

  private emit(source: string, detailType: string, resources: string[], detail: unknown): void {
    const event: SimEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.options.accountId,
      time: isoSeconds(new Date()),
      region: this.options.region,
      resources,
      detail,
    };
    this.track(this.deliverToListeners(event));
    if (this.client) {
      this.outbox.push(event);
      if (!this.pumping) this.track(this.pump(this.client));
    }
  }

  private async deliverToListeners(event: SimEvent): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const listener of [...this.listeners]) {
      try {
        listener(structuredClone(event));
      } catch {
        this.failures++;
      }
    }
  }

  private async pump(client: EventBridgeClient): Promise<void> {
    this.pumping = true;
    try {
      while (this.outbox.length > 0) {
        const batch = this.outbox.splice(0, MAX_ENTRIES_PER_PUT);
        try {
          const result = await client.send(new PutEventsCommand({ Entries: batch.map((event) => this.entryOf(event)) }));
          this.failures += result.FailedEntryCount ?? 0;
        } catch {
          this.failures += batch.length;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The receiver rebuilds the envelope (id, account, region) itself, as EventBridge does. */
  private entryOf(event: SimEvent) {
    return {
      Source: event.source,
      DetailType: event['detail-type'],
      Detail: JSON.stringify(event.detail),
      Resources: event.resources,
      Time: new Date(event.time),
      ...(this.options.eventBusName ? { EventBusName: this.options.eventBusName } : {}),
    };
  }

  private track(delivery: Promise<void>): void {
    const tracked = delivery.catch(() => {
      this.failures++;
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.options.region}:${this.options.accountId}:instance/${instanceId}`;
  }
}

/** EventBridge times have no fractional seconds: 2026-10-02T14:05:11Z. */
function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
