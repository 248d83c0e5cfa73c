/**
 * STS over the Query protocol (API version 2011-06-15), on the simulator's own port: AssumeRole of a role that
 * exists in its account returns temporary credentials acting in that account; any other role is refused with
 * AccessDenied (403), as STS answers when the role is missing or does not trust the caller. GetCallerIdentity
 * says which account a key acts in. The callers' permissions and the role's trust policy are not modelled.
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

export class Roles {
  private readonly arns = new Set<string>();

  add(roleArn: string): void {
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new RangeError(`not an IAM role ARN: '${roleArn}'`);
    checkAccountId(match[1] as string, roleArn);
    this.arns.add(roleArn);
  }

  remove(roleArn: string): void {
    this.arns.delete(roleArn);
  }

  has(roleArn: string): boolean {
    return this.arns.has(roleArn);
  }
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
        Arn: `arn:aws:iam::${caller.accountId}:user/simulated`,
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
  if (!match || !roles.has(roleArn)) {
    return refused(
      403,
      'AccessDenied',
      `User: arn:aws:iam::${caller.accountId}:user/simulated is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      requestId,
    );
  }
  const accountId = match[1] as string;
  const roleName = match[2] as string;
  const durationSeconds = Number(params.DurationSeconds ?? 3600);
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  keys.issue(accessKeyId, accountId);
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
      Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
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
