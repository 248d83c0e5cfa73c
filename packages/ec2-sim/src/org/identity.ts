/**
 * Who is calling, from where: the account from the access key id (a mapping set by options, plus the temporary keys
 * AssumeRole issued; unknown keys are the default account, so single-account clients need nothing), the Region from
 * the SigV4 credential scope of the Authorization header (`Credential=<key>/<date>/<region>/<service>/aws4_request`).
 */
export interface Caller {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly region: string;
}

const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/;

export class AccessKeys {
  private readonly accountByKey: Map<string, string>;

  constructor(
    mapping: Readonly<Record<string, string>>,
    private readonly defaultAccountId: string,
    private readonly defaultRegion: string,
  ) {
    for (const [key, account] of Object.entries(mapping)) checkAccountId(account, `access key ${key}`);
    this.accountByKey = new Map(Object.entries(mapping));
  }

  /** Temporary keys (AssumeRole) act in the role's account. */
  issue(accessKeyId: string, accountId: string): void {
    this.accountByKey.set(accessKeyId, accountId);
  }

  callerOf(authorization: string | undefined): Caller {
    const scope = authorization ? CREDENTIAL_SCOPE.exec(authorization) : null;
    const accessKeyId = scope?.[1] ?? '';
    return {
      accessKeyId,
      accountId: this.accountByKey.get(accessKeyId) ?? this.defaultAccountId,
      region: scope?.[2] ?? this.defaultRegion,
    };
  }
}

export function checkAccountId(accountId: string, what: string): void {
  if (!/^\d{12}$/.test(accountId)) throw new RangeError(`${what}: account id must be 12 digits, got '${accountId}'`);
}
