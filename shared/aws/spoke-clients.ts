/**
 * EC2 clients for an organization: one per (account, Region), in the scope's Region, made once per container. The
 * hub's own account signs with the function's own credentials (the hub is its own spoke); every other account with
 * credentials from STS AssumeRole of `arn:aws:iam::<account>:role/<spokeRoleName>`, cached and renewed before they
 * expire. A refused AssumeRole (the spoke role is missing, or does not trust the hub) becomes a
 * SpokeAccessDeniedError naming the account and Region, through whatever EC2 call needed the credentials.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { SpokeAccessDeniedError } from '../domain/errors';
import { newEc2Client } from './clients';
import { errorCode, toDomainError } from './error-mapping';

/** Assumed-role sessions last an hour; renewed when less than this is left, so no call signs with a dying key. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
const SESSION_SECONDS = 3_600;

/** One (account, Region); the same shape as shared/config/organization.ts's Scope. */
interface Scope {
  readonly accountId: string;
  readonly region: string;
}

interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface SpokeClientOptions {
  readonly sts: STSClient;
  /** The hub's own account (its function's credentials act there). */
  readonly homeAccountId: string;
  readonly spokeRoleName: () => string;
}

export interface SpokeClients {
  ec2For(scope: Scope): EC2Client;
  destroy(): void;
}

/** The account the function's own credentials act in (asked once per container). */
export async function callerAccountId(sts: STSClient): Promise<string> {
  const answer = await sts.send(new GetCallerIdentityCommand({})).catch((error: unknown) => {
    throw toDomainError(error, 'STS GetCallerIdentity');
  });
  if (answer.Account === undefined) throw new Error('STS GetCallerIdentity answered without an account');
  return answer.Account;
}

/** True for what says the hub may not act in a spoke: STS refusing the role, or EC2 refusing the role's call. */
export function isSpokeAccessDenied(error: unknown): boolean {
  if (error instanceof SpokeAccessDeniedError) return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return errorCode(error) === 'UnauthorizedOperation' || errorCode(cause) === 'UnauthorizedOperation';
}

/** The ARN partition of a Region: IAM role ARNs in China and GovCloud are not `arn:aws:`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function createSpokeClients(options: SpokeClientOptions): SpokeClients {
  const clients = new Map<string, EC2Client>();

  function assumedRole(scope: Scope) {
    let current: TemporaryCredentials | undefined;
    let pending: Promise<TemporaryCredentials> | undefined;
    const assume = async (): Promise<TemporaryCredentials> => {
      const roleArn = `arn:${partitionOf(scope.region)}:iam::${scope.accountId}:role/${options.spokeRoleName()}`;
      try {
        const answer = await options.sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            // Named in the spoke's CloudTrail as the session of every call the hub makes there.
            RoleSessionName: 'vpc-mirror-orchestrator-hub',
            DurationSeconds: SESSION_SECONDS,
          }),
        );
        const given = answer.Credentials;
        if (!given?.AccessKeyId || !given.SecretAccessKey || !given.SessionToken || !given.Expiration) {
          throw new Error(`STS AssumeRole ${roleArn} answered without credentials`);
        }
        return {
          accessKeyId: given.AccessKeyId,
          secretAccessKey: given.SecretAccessKey,
          sessionToken: given.SessionToken,
          expiration: given.Expiration,
        };
      } catch (error) {
        if (errorCode(error) === 'AccessDenied') {
          const message = `the hub may not assume ${roleArn} in ${scope.region}: ${(error as Error).message}`;
          throw new SpokeAccessDeniedError(scope.accountId, scope.region, message, { cause: error });
        }
        throw toDomainError(error, `STS AssumeRole ${roleArn}`);
      }
    };
    // Concurrent callers share one AssumeRole; a failure is not cached (the next call asks again).
    return async (): Promise<TemporaryCredentials> => {
      if (current !== undefined && current.expiration.getTime() - Date.now() > RENEW_BEFORE_EXPIRY_MS) return current;
      pending ??= assume().finally(() => {
        pending = undefined;
      });
      current = await pending;
      return current;
    };
  }

  return {
    ec2For(scope: Scope): EC2Client {
      const key = `${scope.accountId}/${scope.region}`;
      let client = clients.get(key);
      if (client === undefined) {
        const credentials = scope.accountId === options.homeAccountId ? {} : { credentials: assumedRole(scope) };
        client = newEc2Client({ region: scope.region, ...credentials });
        clients.set(key, client);
      }
      return client;
    },
    destroy(): void {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}
