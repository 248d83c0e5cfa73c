/**
 * Who is calling, from where: the account (and the IAM principal) from the access key id (a mapping set by options,
 * plus the temporary keys AssumeRole issued; unknown keys are the default account, so single-account clients need
 * nothing), the Region from the SigV4 credential scope of the Authorization header
 * (`Credential=<key>/<date>/<region>/<service>/aws4_request`).
 */
export interface Caller {
  readonly accessKeyId: string;
  readonly accountId: string;
  /** `arn:aws:iam::<account>:user/simulated` unless the key was given a principal, or an assumed-role session. */
  readonly principalArn: string;
  readonly region: string;
}

/** An access key's identity: an account id, or an account and the principal (a role, a user) the key acts as. */
export type KeyIdentity = string | { readonly accountId: string; readonly principalArn: string };

const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/;

export class AccessKeys {
  private readonly identityByKey = new Map<string, { accountId: string; principalArn: string }>();

  constructor(
    mapping: Readonly<Record<string, KeyIdentity>>,
    private readonly defaultAccountId: string,
    private readonly defaultRegion: string,
  ) {
    for (const [key, identity] of Object.entries(mapping)) {
      const accountId = typeof identity === 'string' ? identity : identity.accountId;
      checkAccountId(accountId, `access key ${key}`);
      this.identityByKey.set(key, {
        accountId,
        principalArn: typeof identity === 'string' ? simulatedUser(accountId) : identity.principalArn,
      });
    }
  }

  /** Temporary keys (AssumeRole) act in the role's account, as the assumed-role session. */
  issue(accessKeyId: string, accountId: string, principalArn: string): void {
    this.identityByKey.set(accessKeyId, { accountId, principalArn });
  }

  callerOf(authorization: string | undefined): Caller {
    const scope = authorization ? CREDENTIAL_SCOPE.exec(authorization) : null;
    const accessKeyId = scope?.[1] ?? '';
    const identity = this.identityByKey.get(accessKeyId) ?? {
      accountId: this.defaultAccountId,
      principalArn: simulatedUser(this.defaultAccountId),
    };
    return { accessKeyId, ...identity, region: scope?.[2] ?? this.defaultRegion };
  }
}

function simulatedUser(accountId: string): string {
  return `arn:aws:iam::${accountId}:user/simulated`;
}

/** The key of an account's Region: what its quotas, throttling buckets, faults and counters are kept under. */
export function scopeOf(where: { readonly accountId: string; readonly region: string }): string {
  return `${where.accountId}/${where.region}`;
}

export function checkAccountId(accountId: string, what: string): void {
  if (!/^\d{12}$/.test(accountId)) throw new RangeError(`${what}: account id must be 12 digits, got '${accountId}'`);
}
