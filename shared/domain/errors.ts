/**
 * The small set of typed errors the edges map: permanent (retrying cannot help) vs retryable (transient).
 * Lambda's bounded async retries and the on-failure destination apply to both; the distinction tells callers
 * whether an in-process retry is worth it and tells operators what kind of failure they are looking at.
 */
import type { Reason } from './types';

/** Not worth retrying: the input or the configuration is wrong, or AWS said no for good. */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Transient: throttled after the SDK's retries, a service unavailable, a conditional-write race lost too often. */
export class RetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The invocation reached its deadline (shared/aws/invocation-deadline.ts) while EC2 still throttled it: what it did not get to
 * is handed on to another invocation, not failed.
 */
export class DeadlineReachedError extends RetryableError {}

/** A trigger event that cannot be understood; carries the event id (when one could be read) for the logs. */
export class InvalidEventError extends PermanentError {
  constructor(
    readonly eventId: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A configuration variable that is missing or malformed. The message always starts with the variable's name,
 * e.g. `MIRROR_VNI: must be an integer 0..16777215, got "abc"`, so the cold-start log says what to fix.
 */
export class ConfigError extends PermanentError {
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message.startsWith(`${variable}:`) ? message : `${variable}: ${message}`, options);
  }
}

/**
 * What a refusal means for the attach. 'target': another target candidate may work. 'target-full': the same, and
 * this target has no room on EC2 (worth remembering). 'interface': this ENI cannot be mirrored as asked, for now.
 * 'account': no ENI can be, until sessions are deleted somewhere in the account. 'token-reused': the ClientToken
 * (our reservation id) already made a session, with other parameters.
 */
export type RefusalScope = 'target' | 'target-full' | 'interface' | 'account' | 'token-reused';

/**
 * EC2 said no for good to creating a session (a limit, an unsupported interface, a parameter it rejects): an
 * outcome with a reason, never a failure to retry. `code` is EC2's error code, for the detail.
 */
export class Ec2RefusalError extends PermanentError {
  constructor(
    readonly code: string,
    readonly scope: RefusalScope,
    readonly reason: Reason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
  }
}

/**
 * The hub may not act in a member account and Region: STS refused to let it assume the spoke role (missing, or not
 * trusting the hub) or EC2 refused the assumed role (UnauthorizedOperation). Permanent for this run: reported for
 * the scope and never retried in a loop; the next sweep tries again.
 */
export class SpokeAccessDeniedError extends PermanentError {
  constructor(
    readonly accountId: string,
    readonly region: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
