/**
 * STS over the Query protocol (API version 2011-06-15), on the simulator's own port: AssumeRole of a role that
 * exists in its account and trusts the caller returns temporary credentials acting in that account as the
 * assumed-role session; any other role is refused with AccessDenied (403), as STS answers when the role is missing
 * or does not trust the caller. A role's trust is a list of trusted principal ARNs (the Principal.AWS of its trust
 * policy), or anyone when none is given. GetCallerIdentity says which account and principal a key acts as. The
 * callers' own permissions (sts:AssumeRole in their policies) and trust policy conditions are not modelled.
 */
import { randomBytes } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import type { Params } from '../protocol/query';
import { type AccessKeys, type Caller, checkAccountId } from './identity';

export const STS_API_VERSION = '2011-06-15';
const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true });

export interface StsAnswer {
  readonly status: number;
  readonly xml: string;
}

/** Who may assume a role: principal ARNs as a trust policy's `Principal.AWS` names them; absent = anyone. */
export interface RoleTrust {
  readonly trustedPrincipals?: readonly string[];
}

export class Roles {
  private readonly trustByArn = new Map<string, RoleTrust>();

  add(roleArn: string, trust: RoleTrust = {}): void {
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new RangeError(`not an IAM role ARN: '${roleArn}'`);
    checkAccountId(match[1] as string, roleArn);
    for (const principal of trust.trustedPrincipals ?? []) checkPrincipal(principal);
    this.trustByArn.set(roleArn, trust);
  }

  remove(roleArn: string): void {
    this.trustByArn.delete(roleArn);
  }

  /** The role exists and its trust policy lets this caller assume it. */
  admits(roleArn: string, caller: Caller): boolean {
    const trust = this.trustByArn.get(roleArn);
    if (!trust) return false;
    return trust.trustedPrincipals === undefined || trust.trustedPrincipals.some((principal) => trusts(principal, caller));
  }
}

const ACCOUNT_ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

function checkPrincipal(principal: string): void {
  if (!/^\d{12}$/.test(principal) && !ACCOUNT_ROOT.test(principal) && !IAM_PRINCIPAL.test(principal)) {
    throw new RangeError(`not a trusted principal (an account id, an account root, a role or a user ARN): '${principal}'`);
  }
}

/**
 * IAM's trust matching: an account id or its root trusts every principal of the account; a role ARN trusts the
 * role's sessions (`arn:aws:sts::<account>:assumed-role/<name>/<session>`); a user ARN trusts that user.
 */
function trusts(principal: string, caller: Caller): boolean {
  const root = ACCOUNT_ROOT.exec(principal);
  if (/^\d{12}$/.test(principal) || root) return caller.accountId === (root?.[1] ?? principal);
  if (caller.principalArn === principal) return true;
  const role = ROLE_ARN.exec(principal);
  const session = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(caller.principalArn);
  return role !== null && session !== null && session[1] === role[1] && session[2] === role[2];
}

export function isStsRequest(params: Params): boolean {
  return params.Version === STS_API_VERSION;
}

export function answerSts(params: Params, caller: Caller, roles: Roles, keys: AccessKeys, requestId: string): StsAnswer {
  switch (params.Action) {
    case 'AssumeRole':
      return assumeRole(params, caller, roles, keys, requestId);
    case 'GetCallerIdentity':
      return ok('GetCallerIdentity', requestId, {
        Arn: caller.principalArn,
        UserId: caller.accessKeyId || 'anonymous',
        Account: caller.accountId,
      });
    default:
      return refused(400, 'InvalidAction', `Could not find operation ${params.Action ?? ''} for version ${STS_API_VERSION}`, requestId);
  }
}

function assumeRole(params: Params, caller: Caller, roles: Roles, keys: AccessKeys, requestId: string): StsAnswer {
  const roleArn = params.RoleArn;
  const sessionName = params.RoleSessionName;
  if (roleArn === undefined)
    return refused(
      400,
      'ValidationError',
      "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
      requestId,
    );
  if (sessionName === undefined || !SESSION_NAME.test(sessionName)) {
    return refused(
      400,
      'ValidationError',
      `1 validation error detected: Value '${sessionName ?? 'null'}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      requestId,
    );
  }
  const match = ROLE_ARN.exec(roleArn);
  if (!match || !roles.admits(roleArn, caller)) {
    return refused(
      403,
      'AccessDenied',
      `User: ${caller.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      requestId,
    );
  }
  const accountId = match[1] as string;
  const roleName = match[2] as string;
  const durationSeconds = Number(params.DurationSeconds ?? 3600);
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const sessionArn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
  keys.issue(accessKeyId, accountId, sessionArn);
  const roleId = `AROA${randomBytes(8).toString('hex').toUpperCase()}`;
  return ok('AssumeRole', requestId, {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: randomBytes(20).toString('base64'),
      SessionToken: randomBytes(48).toString('base64'),
      Expiration: new Date(Date.now() + durationSeconds * 1000).toISOString(),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${roleId}:${sessionName}`,
      Arn: sessionArn,
    },
  });
}

function ok(action: string, requestId: string, result: Record<string, unknown>): StsAnswer {
  const document = {
    [`${action}Response`]: {
      '@_xmlns': NAMESPACE,
      [`${action}Result`]: result,
      ResponseMetadata: { RequestId: requestId },
    },
  };
  return { status: 200, xml: `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(document)}` };
}

function refused(status: number, code: string, message: string, requestId: string): StsAnswer {
  const document = {
    ErrorResponse: {
      '@_xmlns': NAMESPACE,
      Error: { Type: 'Sender', Code: code, Message: message },
      RequestId: requestId,
    },
  };
  return { status, xml: `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(document)}` };
}
