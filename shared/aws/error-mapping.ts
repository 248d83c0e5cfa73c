/**
 * SDK errors -> the domain's two kinds. EC2's permanent answers at create time are refusals with a reason and a
 * scope (does trying another target help, or is this ENI done for?); throttling, 5xx and network failures are
 * RetryableError so Lambda's bounded retries apply; anything else is a PermanentError carrying the AWS code.
 */
import { DeadlineReachedError, Ec2RefusalError, PermanentError, type RefusalScope, RetryableError } from '../domain/errors';
import type { Reason } from '../domain/types';
import { throttledPastDeadline } from './line-give-ups';

const REFUSALS: Readonly<Record<string, { scope: RefusalScope; reason: Reason }>> = {
  TrafficMirrorSourcesPerTargetLimitExceeded: { scope: 'target-full', reason: 'target-pool-full' },
  TrafficMirrorSessionsPerTargetLimitExceeded: { scope: 'target-full', reason: 'target-pool-full' },
  'InvalidTrafficMirrorTargetId.NotFound': { scope: 'target', reason: 'target-pool-full' },
  'InvalidTrafficMirrorTargetId.Malformed': { scope: 'target', reason: 'target-pool-full' },
  // The target's own ENI is a mirror source: that target cannot serve anyone until it stops being one.
  InterfaceInUseByTrafficMirrorSession: { scope: 'target', reason: 'target-pool-full' },
  NetworkInterfaceNotSupported: { scope: 'interface', reason: 'network-interface-not-supported' },
  TrafficMirrorSessionsPerInterfaceLimitExceeded: { scope: 'interface', reason: 'interface-session-limit' },
  InterfaceInUseByTrafficMirrorTarget: { scope: 'interface', reason: 'interface-is-mirror-target' },
  'InvalidNetworkInterfaceID.NotFound': { scope: 'interface', reason: 'interface-detached' },
  'InvalidNetworkInterfaceId.Malformed': { scope: 'interface', reason: 'interface-detached' },
  'InvalidTrafficMirrorFilterId.NotFound': { scope: 'interface', reason: 'filter-not-allowed' },
  'InvalidTrafficMirrorFilterId.Malformed': { scope: 'interface', reason: 'filter-not-allowed' },
  // Our ClientToken (the reservation id) was used with other parameters: a session with that token exists, made
  // with the settings of the time; converge finds it by its reservation tag and adopts or replaces it.
  IdempotentParameterMismatch: { scope: 'token-reused', reason: 'settings-changed' },
  // The account's quota of sessions per Region (10,000): nothing helps until sessions are deleted somewhere.
  TrafficMirrorSessionLimitExceeded: { scope: 'account', reason: 'account-session-limit' },
};

/** Reasons for the other permanent answers EC2 can give to CreateTrafficMirrorSession. */
const OTHER_CREATE_REFUSALS: Readonly<Record<string, Reason>> = {
  InvalidParameterValue: 'invalid-parameter',
  InvalidParameter: 'invalid-parameter',
  InvalidParameterCombination: 'invalid-parameter',
  MissingParameter: 'invalid-parameter',
  UnauthorizedOperation: 'not-authorized',
  AccessDenied: 'not-authorized',
};

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceededException',
]);

const TRANSIENT_CODES = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as SdkErrorShape;
  return shape.name ?? shape.code;
}

export function isThrottling(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && THROTTLING_CODES.has(code);
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = errorCode(error);
  return code !== undefined && codes.includes(code);
}

function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as SdkErrorShape;
  const code = errorCode(error) ?? '';
  if (THROTTLING_CODES.has(code) || TRANSIENT_CODES.has(code)) return true;
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) return true;
  const status = shape.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/**
 * Maps any error thrown by an SDK call. Domain errors pass through unchanged, so mapping twice is harmless.
 * `operation` names the call in the message, e.g. `CreateTrafficMirrorSession eni-123`.
 */
export function toDomainError(error: unknown, operation: string): PermanentError | RetryableError {
  if (error instanceof PermanentError || error instanceof RetryableError) return error;
  const code = errorCode(error) ?? 'UnknownError';
  const message = error instanceof Error ? error.message : String(error);
  if (throttledPastDeadline(error)) {
    return new DeadlineReachedError(`${operation}: EC2 still throttled it (${code}) at the invocation's deadline`, { cause: error });
  }
  const refusal = REFUSALS[code];
  if (refusal !== undefined) return new Ec2RefusalError(code, refusal.scope, refusal.reason, `${operation}: ${message}`, { cause: error });
  if (isTransient(error)) return new RetryableError(`${operation} failed transiently (${code}): ${message}`, { cause: error });
  return new PermanentError(`${operation} failed (${code}): ${message}`, { cause: error });
}

/**
 * Maps what CreateTrafficMirrorSession throws: every permanent answer from EC2 (one with an error code and a
 * client fault) is a refusal of this ENI with a reason, so one instance EC2 will not mirror never fails a batch or
 * a sweep. Transient failures stay retryable; errors of our own making (no AWS answer) stay permanent failures.
 */
export function toCreateSessionError(error: unknown, operation: string): PermanentError | RetryableError {
  const mapped = toDomainError(error, operation);
  if (mapped instanceof Ec2RefusalError || mapped instanceof RetryableError || !isAwsAnswer(error)) return mapped;
  const code = errorCode(error) ?? 'UnknownError';
  const reason = OTHER_CREATE_REFUSALS[code] ?? 'ec2-refused';
  const message = error instanceof Error ? error.message : String(error);
  return new Ec2RefusalError(code, 'interface', reason, `${operation}: ${message}`, { cause: error });
}

function isAwsAnswer(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as SdkErrorShape;
  return shape.$fault === 'client' && shape.$metadata?.httpStatusCode !== undefined;
}

/** Runs one SDK call (or a series of pages) and lets whatever it throws leave through toDomainError. */
export async function withDomainErrors<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toDomainError(error, operation);
  }
}
