/**
 * The HTTP front: EC2's Query protocol on loopback (STS's Query protocol too, and SSM's and Organizations' JSON
 * protocol, told apart by their X-Amz-Target header). Per EC2 request: read a capped body, parse, count, throttle, inject faults, run `before`
 * hooks, execute (idempotent by ClientToken where EC2 is), run `after` hooks, answer XML. Nothing a client sends can
 * crash it: every failure becomes an error document of the protocol it came in.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ACTIONS, IDEMPOTENT_ACTIONS } from './actions';
import type { ActionContext } from './actions/context';
import type { CallCounters } from './counters';
import type { FaultInjector } from './faults';
import type { Hooks } from './hooks';
import { type Caller, scopeOf } from './org/identity';
import { isOrganizationsRequest, type OrganizationsAnswer } from './org/organizations';
import { isStsRequest, type StsAnswer } from './org/sts';
import { Ec2Error, internalError, missingParameter, requestLimitExceeded } from './protocol/errors';
import { type Params, parseQuery } from './protocol/query';
import { errorXml, successXml, type XmlValue } from './protocol/xml';
import { isSsmRequest, type SsmAnswer } from './ssm/json-protocol';
import type { Throttler } from './throttling';

const API_VERSION = '2016-11-15';
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerParts {
  readonly counters: CallCounters;
  readonly throttler: Throttler;
  readonly faults: FaultInjector;
  readonly hooks: Hooks;
  /** Who sends a request, from its Authorization header (account from the access key, Region from the scope). */
  callerOf(authorization: string | undefined): Caller;
  /** A context for one request in the caller's account and Region (the state, ids, lifecycle, ... and the request id). */
  context(requestId: string, caller: Caller): ActionContext;
  /** STS's Query protocol (Version 2011-06-15), served on the same port. */
  sts(params: Params, caller: Caller, requestId: string): StsAnswer;
  /** SSM Parameter Store's JSON 1.1 protocol (X-Amz-Target AmazonSSM.<Action>), served on the same port. */
  ssm(target: string, body: string, caller: Caller): SsmAnswer;
  /** AWS Organizations' JSON 1.1 protocol (X-Amz-Target AWSOrganizationsV20161128.<Action>), served on the same port. */
  organizations(target: string, body: string, caller: Caller): OrganizationsAnswer;
  /** Sees every successful answer as sent (response validation against the service model, when on). */
  inspect?(action: string, params: Params, xml: string): void;
  /** Sees every error answer as sent. */
  inspectError?(action: string, xml: string): void;
}

export function createEc2Server(parts: ServerParts): Server {
  const server = createServer((request, response) => {
    handle(parts, request, response).catch((error: unknown) => {
      reportBug(error);
      const requestId = randomUUID();
      if (!response.headersSent) send(response, 500, errorXml('InternalError', 'An internal error has occurred', requestId), requestId);
      else response.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // Longer than any client idle time we know of: a server closing idle sockets first races with reuse (ECONNRESET).
  server.keepAliveTimeout = 120_000;
  return server;
}

async function handle(parts: ServerParts, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, errorXml('RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes`, requestId), requestId);
    return;
  }
  const target = request.headers['x-amz-target'];
  if (isSsmRequest(target)) {
    const answer = parts.ssm(target, body, parts.callerOf(request.headers.authorization));
    sendJson(response, answer.status, answer.body, requestId);
    return;
  }
  if (isOrganizationsRequest(target)) {
    const answer = parts.organizations(target, body, parts.callerOf(request.headers.authorization));
    sendJson(response, answer.status, answer.body, requestId);
    return;
  }
  const params = request.method === 'GET' ? parseQuery(new URL(request.url ?? '/', 'http://x').search.slice(1)) : parseQuery(body);
  const action = params.Action ?? '';
  const caller = parts.callerOf(request.headers.authorization);
  if (isStsRequest(params)) {
    const answer = parts.sts(params, caller, requestId);
    send(response, answer.status, answer.xml, requestId);
    return;
  }
  try {
    const result = await execute(parts, action, params, requestId, caller);
    parts.counters.record(action, { kind: 'ok' }, scopeOf(caller));
    const xml = successXml(action, requestId, result);
    parts.inspect?.(action, params, xml);
    send(response, 200, xml, requestId);
  } catch (error) {
    const ec2Error = error instanceof Ec2Error ? error : internalError();
    if (!(error instanceof Ec2Error) && !(error instanceof HookFailure)) reportBug(error);
    if (action) {
      parts.counters.record(
        action,
        error instanceof Throttled ? { kind: 'throttled' } : { kind: 'error', code: ec2Error.code },
        scopeOf(caller),
      );
    }
    const xml = errorXml(ec2Error.code, ec2Error.message, requestId);
    parts.inspectError?.(action, xml);
    send(response, ec2Error.status, xml, requestId);
  }
}

/** A request refused by the token bucket (counted apart from injected RequestLimitExceeded faults). */
class Throttled extends Ec2Error {
  constructor() {
    const { code, message, status } = requestLimitExceeded();
    super(code, message, status);
  }
}

/** A hook threw something other than an Ec2Error: that is the test's doing, answered as InternalError. */
class HookFailure extends Error {}

/** A bug in the simulator must not pass for an EC2 answer unnoticed. */
function reportBug(error: unknown): void {
  console.error('ec2-sim: internal error', error);
}

async function runHooks(parts: ServerParts, action: string, phase: 'before' | 'after', params: Params): Promise<void> {
  try {
    await parts.hooks.run(action, phase, params);
  } catch (error) {
    throw error instanceof Ec2Error ? error : new HookFailure(String(error));
  }
}

async function execute(
  parts: ServerParts,
  action: string,
  params: Params,
  requestId: string,
  caller: Caller,
): Promise<Record<string, XmlValue>> {
  if (!action) throw missingParameter('Action');
  const handler = ACTIONS[action];
  if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
  if (!params.Version) throw missingParameter('Version');
  if (params.Version !== API_VERSION) {
    throw new Ec2Error('InvalidParameterValue', `Version ${params.Version} is not supported; use ${API_VERSION}.`);
  }
  const scope = scopeOf(caller);
  if (!parts.throttler.admit(action, params, scope)) throw new Throttled();
  const latency = parts.faults.latencyMs(action, scope);
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  const injected = parts.faults.injectedError(action, scope);
  if (injected) throw injected;
  await runHooks(parts, action, 'before', params);
  if (params.DryRun === 'true') {
    throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
  const context = parts.context(requestId, caller);
  context.lifecycle.purgeExpired(Date.now());
  const result =
    IDEMPOTENT_ACTIONS.has(action) && params.ClientToken
      ? idempotent(context, action, params, () => handler(context, params))
      : handler(context, params);
  await runHooks(parts, action, 'after', params);
  return result;
}

function idempotent(context: ActionContext, action: string, params: Params, run: () => Record<string, XmlValue>): Record<string, XmlValue> {
  const key = `${action}:${params.ClientToken}`;
  const fingerprint = JSON.stringify(
    Object.entries(params)
      .filter(([name]) => name !== 'ClientToken' && name !== 'DryRun')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const earlier = context.idempotency.get(key);
  if (earlier) {
    if (earlier.fingerprint !== fingerprint) {
      throw new Ec2Error('IdempotentParameterMismatch', `The client token '${params.ClientToken}' was already used with other parameters.`);
    }
    return earlier.response;
  }
  const response = run();
  context.idempotency.set(key, { fingerprint, response });
  return response;
}

/** The body as text, or undefined when it exceeds the cap (the rest is drained, not buffered). */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, xml: string, requestId: string): void {
  response.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  response.end(xml);
}

function sendJson(response: ServerResponse, status: number, body: string, requestId: string): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
}
