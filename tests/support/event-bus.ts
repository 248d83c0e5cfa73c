/**
 * A minimal EventBridge endpoint on loopback that records PutEvents entries, so tests assert on the outcome events
 * the real SDK actually sent over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PublishedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName: string;
  readonly detail: Record<string, unknown>;
}

export interface CapturingEventBus {
  readonly endpoint: string;
  readonly events: PublishedEvent[];
  /** The next `count` entries are answered as failed (FailedEntryCount), as EventBridge does when it is overloaded. */
  failNextEntries(count: number): void;
  /** PutEvents requests received. */
  requests(): number;
  /** Entries answered as failed so far (failNextEntries). */
  failedEntries(): number;
  clear(): void;
  stop(): Promise<void>;
}

interface PutEventsBody {
  Entries?: Array<{ Source?: string; DetailType?: string; EventBusName?: string; Detail?: string }>;
}

export async function startCapturingEventBus(): Promise<CapturingEventBus> {
  const events: PublishedEvent[] = [];
  let entriesToFail = 0;
  let requestCount = 0;
  let failedCount = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      if (target !== 'AWSEvents.PutEvents') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: String(target) }));
        return;
      }
      requestCount += 1;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutEventsBody;
      const entries = body.Entries ?? [];
      const answers = entries.map((entry) => {
        if (entriesToFail > 0) {
          entriesToFail -= 1;
          failedCount += 1;
          return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
        }
        events.push({
          source: entry.Source ?? '',
          detailType: entry.DetailType ?? '',
          eventBusName: entry.EventBusName ?? '',
          detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
        });
        return { EventId: randomUUID() };
      });
      const failed = answers.filter((answer) => 'ErrorCode' in answer).length;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      response.end(JSON.stringify({ FailedEntryCount: failed, Entries: answers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    failNextEntries: (count) => {
      entriesToFail = count;
    },
    requests: () => requestCount,
    failedEntries: () => failedCount,
    clear: () => events.splice(0, events.length),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
