/**
 * An error from AWS, told in terms the user controls: the profile, the Region, the table, the id. Never the name of
 * one of our classes (PermanentError, RetryableError): those mean nothing to an operator.
 */
import { errorCode } from '../shared/aws/error-mapping';
import { ExitCode } from './exit-codes';

export interface Whereabouts {
  readonly profile?: string;
  readonly region?: string;
  readonly table?: string;
}

export interface Failure {
  readonly message: string;
  readonly exitCode: ExitCode;
}

const ACCESS_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'TimeoutError']);

/** The innermost error: the domain errors keep the SDK's as their cause. */
function rootOf(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth += 1) current = current.cause;
  return current;
}

function codeOf(error: unknown): string | undefined {
  const root = rootOf(error) as { code?: unknown; name?: unknown } | undefined;
  if (typeof root?.code === 'string' && NETWORK_CODES.has(root.code)) return root.code;
  return errorCode(root);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function profileAndRegion(where: Whereabouts): string {
  return `profile ${where.profile ?? '(default)'}, Region ${where.region ?? '(from the profile)'}`;
}

export function describeFailure(error: unknown, where: Whereabouts): Failure {
  const code = codeOf(error);
  const root = rootOf(error);
  if (code === 'CredentialsProviderError' || /could not (load|resolve) credentials/i.test(messageOf(root))) {
    const hint = where.profile
      ? `check that profile "${where.profile}" exists in ~/.aws/config and is logged in`
      : 'pass --profile or set AWS_PROFILE';
    return { exitCode: ExitCode.configuration, message: `no AWS credentials for ${profileAndRegion(where)}: ${hint} (${messageOf(root)})` };
  }
  if (code === 'ResourceNotFoundException') {
    return {
      exitCode: ExitCode.configuration,
      message: `ledger table "${where.table ?? '?'}" not found in Region ${where.region ?? '(from the profile)'}: check --table / LEDGER_TABLE_NAME, --region, or use --stack`,
    };
  }
  if (code !== undefined && ACCESS_CODES.has(code)) {
    return { exitCode: ExitCode.configuration, message: `AWS refused access (${code}) for ${profileAndRegion(where)}: ${messageOf(root)}` };
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return { exitCode: ExitCode.findings, message: `cannot reach AWS (${code}) for ${profileAndRegion(where)}: ${messageOf(error)}` };
  }
  return { exitCode: ExitCode.findings, message: messageOf(error) };
}

/** A decision record's reason for a failure: the AWS error code when there is one, never our class name. */
export function failureReason(error: unknown): string {
  return codeOf(error) ?? 'error';
}
