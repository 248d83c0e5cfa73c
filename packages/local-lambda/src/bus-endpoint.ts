/**
 * The bus's HTTP endpoint on 127.0.0.1: EventBridge's AWS JSON 1.1 protocol for PutEvents and TestEventPattern,
 * so the real SDK reaches the local bus through AWS_ENDPOINT_URL_EVENTBRIDGE.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesPattern, validatePattern } from './event-pattern';
import { type LoopbackServer, listenOnLoopback, readBody } from './loopback-http';
import { MAX_ENTRIES_PER_PUT, type PutEventsEntry, type PutEventsResult } from './put-events';

export type BusEndpoint = LoopbackServer;

/** Listens on 127.0.0.1:`port` (0: any free port) and answers with `putEvents`. */
export async function startBusEndpoint(putEvents: (entries: readonly PutEventsEntry[]) => PutEventsResult, port = 0): Promise<BusEndpoint> {
  return listenOnLoopback((request, response) => handle(request, response, putEvents), port);
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  putEvents: (entries: readonly PutEventsEntry[]) => PutEventsResult,
): Promise<void> {
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
      return reply(200, putEvents(entries as PutEventsEntry[]));
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
