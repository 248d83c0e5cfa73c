/**
 * A counting proxy in front of dynalite, on loopback: every DynamoDB request the handlers make passes through it, so
 * the bench counts requests per operation and the errors DynamoDB answered (conditional-check failures are the
 * ledger's contention, throughput errors would be throttling).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DynamoCounts {
  readonly requests: number;
  readonly byOperation: Readonly<Record<string, number>>;
  /** Error `__type` suffix (e.g. ConditionalCheckFailedException) -> count. */
  readonly errors: Readonly<Record<string, number>>;
  /** With `inspectItems`: items DynamoDB read (Scan/Query ScannedCount, GetItem's item, BatchGetItem's responses). */
  readonly itemsRead: number;
  /** With `inspectItems`: history items written (PutItem or BatchWriteItem puts whose pk starts with history#). */
  readonly historyItemsWritten: number;
}

export interface DynamoCounterOptions {
  /** Parse every request and answer to count items read and history items written (costs CPU: the sweep bench only). */
  readonly inspectItems?: boolean;
}

/** Items an answer says DynamoDB read: what on-demand read capacity is billed on. */
function itemsReadBy(operation: string, body: string): number {
  try {
    const answer = JSON.parse(body) as { ScannedCount?: number; Item?: unknown; Responses?: Record<string, unknown[]> };
    if (operation === 'Scan' || operation === 'Query') return answer.ScannedCount ?? 0;
    if (operation === 'GetItem') return answer.Item === undefined ? 0 : 1;
    if (operation === 'BatchGetItem') return Object.values(answer.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
  } catch {
    // not JSON: nothing counted
  }
  return 0;
}

const isHistoryKey = (item: { pk?: { S?: string } } | undefined): boolean => item?.pk?.S?.startsWith('history#') ?? false;

/** History items a write request puts. */
function historyItemsWrittenBy(operation: string, body: string): number {
  try {
    const request = JSON.parse(body) as {
      Item?: { pk?: { S?: string } };
      RequestItems?: Record<string, Array<{ PutRequest?: { Item?: { pk?: { S?: string } } } }>>;
    };
    if (operation === 'PutItem') return isHistoryKey(request.Item) ? 1 : 0;
    if (operation === 'BatchWriteItem') {
      return Object.values(request.RequestItems ?? {}).reduce(
        (sum, writes) => sum + writes.filter((write) => isHistoryKey(write.PutRequest?.Item)).length,
        0,
      );
    }
  } catch {
    // not JSON: nothing counted
  }
  return 0;
}

export interface DynamoCounter {
  /** http://127.0.0.1:<port>: give this to the handlers as AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  counts(): DynamoCounts;
  reset(): void;
  close(): Promise<void>;
}

function errorType(body: string): string {
  try {
    const type = (JSON.parse(body) as { __type?: unknown }).__type;
    if (typeof type === 'string') return type.slice(type.lastIndexOf('#') + 1);
  } catch {
    // not JSON: fall through to the generic label
  }
  return 'unparsed-error';
}

export async function startDynamoCounter(upstream: string, options: DynamoCounterOptions = {}): Promise<DynamoCounter> {
  const target = new URL(upstream);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
    throw new Error(`the DynamoDB counter only fronts a loopback endpoint, got ${upstream}`);
  }
  let byOperation: Record<string, number> = {};
  let errors: Record<string, number> = {};
  let requests = 0;
  let itemsRead = 0;
  let historyItemsWritten = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const server = http.createServer((request, response) => {
    const targetHeader = request.headers['x-amz-target'];
    const operation = (Array.isArray(targetHeader) ? targetHeader[0] : targetHeader)?.split('.').pop() ?? 'unknown';
    requests += 1;
    byOperation[operation] = (byOperation[operation] ?? 0) + 1;
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        if ((upstreamResponse.statusCode ?? 500) < 400) {
          if (options.inspectItems) {
            const answer: Buffer[] = [];
            upstreamResponse.on('data', (chunk: Buffer) => answer.push(chunk));
            upstreamResponse.on('end', () => {
              itemsRead += itemsReadBy(operation, Buffer.concat(answer).toString('utf8'));
            });
          }
          upstreamResponse.pipe(response);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamResponse.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamResponse.on('end', () => {
          const body = Buffer.concat(chunks);
          const type = errorType(body.toString('utf8'));
          errors[type] = (errors[type] ?? 0) + 1;
          response.end(body);
        });
      },
    );
    forward.on('error', (error) => {
      errors['proxy-upstream-error'] = (errors['proxy-upstream-error'] ?? 0) + 1;
      if (!response.headersSent) response.writeHead(502);
      response.end(String(error));
    });
    if (options.inspectItems && (operation === 'PutItem' || operation === 'BatchWriteItem')) {
      const sent: Buffer[] = [];
      request.on('data', (chunk: Buffer) => sent.push(chunk));
      request.on('end', () => {
        historyItemsWritten += historyItemsWrittenBy(operation, Buffer.concat(sent).toString('utf8'));
      });
    }
    request.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ requests, byOperation: { ...byOperation }, errors: { ...errors }, itemsRead, historyItemsWritten }),
    reset: () => {
      requests = 0;
      itemsRead = 0;
      historyItemsWritten = 0;
      byOperation = {};
      errors = {};
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
