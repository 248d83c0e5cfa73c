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

export async function startDynamoCounter(upstream: string): Promise<DynamoCounter> {
  const target = new URL(upstream);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
    throw new Error(`the DynamoDB counter only fronts a loopback endpoint, got ${upstream}`);
  }
  let byOperation: Record<string, number> = {};
  let errors: Record<string, number> = {};
  let requests = 0;
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
    request.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ requests, byOperation: { ...byOperation }, errors: { ...errors } }),
    reset: () => {
      requests = 0;
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
