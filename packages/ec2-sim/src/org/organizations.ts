/**
 * AWS Organizations over its JSON 1.1 protocol (X-Amz-Target `AWSOrganizationsV20161128.<Action>`), on the
 * simulator's port: the tree of one organization (a root, OUs nested under it, accounts with their state) set by
 * the simulator's options, read with ListChildren, ListAccountsForParent and DescribeOrganization, paginated with
 * NextToken and MaxResults (1..20). As AWS answers: only the management account or a delegated administrator (an
 * account the organization's delegation policy names) may read it, any other member gets AccessDeniedException and
 * an account outside the organization AWSOrganizationsNotInUseException; an unknown parent is ParentNotFoundException.
 * An error is `{"__type": <code>, "Message": ...}` with the HTTP status AWS's service model gives the code (its
 * httpError trait, as the SDK v3 ships it: 403 denied, 404 not in use or no such parent, 400 invalid input).
 * Organizations is global: the caller's Region does not matter.
 */

import { type JsonObject, parseJsonObject } from '../protocol/json-body';
import type { Caller } from './identity';
import { checkAccountId } from './identity';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';

/** Account states as Organizations reports them (`State`); `Status` is the older, narrower field. */
export type OrganizationAccountState = 'PENDING_ACTIVATION' | 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';

export interface OrganizationTree {
  /** o- + 10..32 lowercase letters or digits. Default o-exampleorg1. */
  readonly id?: string;
  /** Default: the simulator's default account. */
  readonly managementAccountId?: string;
  /** r- + 4..32 lowercase letters or digits. */
  readonly rootId: string;
  /** Member accounts the delegation policy lets read the tree (delegated administrators). */
  readonly delegatedAdministrators?: readonly string[];
  /** OUs, each under the root or another OU (listed before it). */
  readonly units?: ReadonlyArray<{ readonly id: string; readonly parentId: string; readonly name?: string }>;
  /** Member accounts, each under the root or an OU; the management account is under the root unless listed. */
  readonly accounts?: ReadonlyArray<{
    readonly id: string;
    readonly parentId: string;
    readonly state?: OrganizationAccountState;
    readonly name?: string;
  }>;
  /** Items per page when a request names no MaxResults (AWS: up to 20). Default 20. */
  readonly pageSize?: number;
}

export interface OrganizationsAnswer {
  readonly status: number;
  readonly body: string;
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const UNIT_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const MAX_RESULTS = 20;
/** The Status field knows three of the states. */
const STATUS_OF: Partial<Record<OrganizationAccountState, string>> = {
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  PENDING_CLOSURE: 'PENDING_CLOSURE',
};

type Json = JsonObject;

/** The HTTP status of each error code (AWS's service model for Organizations); any other code: 400. */
const STATUS_OF_ERROR: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  AWSOrganizationsNotInUseException: 404,
  ParentNotFoundException: 404,
  TooManyRequestsException: 429,
  ServiceException: 500,
};

class OrganizationsError extends Error {
  readonly status: number;

  constructor(
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.status = STATUS_OF_ERROR[code] ?? 400;
  }
}

interface Account {
  readonly id: string;
  readonly name: string;
  readonly state: OrganizationAccountState;
  readonly joinedAt: Date;
}

export class OrganizationsService {
  private readonly id: string;
  private readonly managementAccountId: string;
  private readonly rootId: string;
  private readonly delegated: ReadonlySet<string>;
  private readonly pageSize: number;
  /** Parent id -> its OUs and its accounts, in the order given. */
  private readonly units = new Map<string, string[]>();
  private readonly accounts = new Map<string, Account[]>();
  private readonly members = new Set<string>();

  constructor(tree: OrganizationTree, defaultAccountId: string) {
    this.id = tree.id ?? 'o-exampleorg1';
    if (!ORGANIZATION_ID.test(this.id))
      throw new RangeError(`organization id must be o- + 10..32 lowercase letters or digits, got '${this.id}'`);
    if (!ROOT_ID.test(tree.rootId)) throw new RangeError(`root id must be r- + 4..32 lowercase letters or digits, got '${tree.rootId}'`);
    this.rootId = tree.rootId;
    this.managementAccountId = tree.managementAccountId ?? defaultAccountId;
    checkAccountId(this.managementAccountId, 'organization management account');
    this.pageSize = tree.pageSize ?? MAX_RESULTS;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1 || this.pageSize > MAX_RESULTS) {
      throw new RangeError(`organization pageSize must be an integer 1..${MAX_RESULTS}, got ${this.pageSize}`);
    }
    this.units.set(this.rootId, []);
    this.accounts.set(this.rootId, []);
    for (const unit of tree.units ?? []) {
      if (!UNIT_ID.test(unit.id)) throw new RangeError(`OU id must be ou-<4..32>-<8..32> lowercase letters or digits, got '${unit.id}'`);
      if (this.units.has(unit.id)) throw new RangeError(`OU ${unit.id} is listed twice`);
      this.childUnitsOf(unit.parentId).push(unit.id);
      this.units.set(unit.id, []);
      this.accounts.set(unit.id, []);
    }
    const joinedAt = new Date('2024-01-01T00:00:00Z');
    for (const account of tree.accounts ?? []) {
      checkAccountId(account.id, 'organization account');
      if (this.members.has(account.id)) throw new RangeError(`account ${account.id} is listed twice`);
      this.members.add(account.id);
      this.accountsUnder(account.parentId).push({
        id: account.id,
        name: account.name ?? `account-${account.id}`,
        state: account.state ?? 'ACTIVE',
        joinedAt,
      });
    }
    if (!this.members.has(this.managementAccountId)) {
      this.members.add(this.managementAccountId);
      this.accountsUnder(this.rootId).push({ id: this.managementAccountId, name: 'management', state: 'ACTIVE', joinedAt });
    }
    this.delegated = new Set(tree.delegatedAdministrators ?? []);
    for (const accountId of this.delegated) {
      if (!this.members.has(accountId)) throw new RangeError(`delegated administrator ${accountId} is not an account of the organization`);
    }
  }

  answer(target: string, body: string, caller: Caller): OrganizationsAnswer {
    const action = target.slice(ORGANIZATIONS_TARGET_PREFIX.length);
    try {
      const input = parseInput(body);
      return { status: 200, body: JSON.stringify(this.run(action, input, caller)) };
    } catch (error) {
      if (!(error instanceof OrganizationsError)) throw error;
      const answer: Json = { __type: error.code, Message: error.message };
      if (error.reason !== undefined) answer.Reason = error.reason;
      return { status: error.status, body: JSON.stringify(answer) };
    }
  }

  private run(action: string, input: Json, caller: Caller): Json {
    const known = ['ListChildren', 'ListAccountsForParent', 'DescribeOrganization'];
    if (!known.includes(action)) {
      throw new OrganizationsError('UnknownOperationException', `ec2-sim serves ${known.join(', ')} of Organizations, not ${action}`);
    }
    this.admit(caller);
    switch (action) {
      case 'DescribeOrganization':
        return {
          Organization: {
            Id: this.id,
            Arn: `arn:aws:organizations::${this.managementAccountId}:organization/${this.id}`,
            FeatureSet: 'ALL',
            MasterAccountArn: `arn:aws:organizations::${this.managementAccountId}:account/${this.id}/${this.managementAccountId}`,
            MasterAccountId: this.managementAccountId,
            MasterAccountEmail: `management@${this.managementAccountId}.example.com`,
            AvailablePolicyTypes: [],
          },
        };
      case 'ListChildren': {
        const parentId = this.parentOf(input);
        const childType = input.ChildType;
        if (childType !== 'ACCOUNT' && childType !== 'ORGANIZATIONAL_UNIT') {
          throw invalidInput('INVALID_ENUM', `ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT, got ${JSON.stringify(childType)}`);
        }
        const ids =
          childType === 'ACCOUNT' ? (this.accounts.get(parentId) ?? []).map((account) => account.id) : (this.units.get(parentId) ?? []);
        const { items, nextToken } = this.page(ids, input, `${action}:${parentId}:${childType}`);
        return { Children: items.map((id) => ({ Id: id, Type: childType })), ...(nextToken ? { NextToken: nextToken } : {}) };
      }
      default: {
        const parentId = this.parentOf(input);
        const { items, nextToken } = this.page(this.accounts.get(parentId) ?? [], input, `${action}:${parentId}`);
        return { Accounts: items.map((account) => this.accountJson(account)), ...(nextToken ? { NextToken: nextToken } : {}) };
      }
    }
  }

  private admit(caller: Caller): void {
    if (!this.members.has(caller.accountId)) {
      throw new OrganizationsError(
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization. To make this request, you must use the credentials of an account that belongs to an organization.',
      );
    }
    if (caller.accountId !== this.managementAccountId && !this.delegated.has(caller.accountId)) {
      throw new OrganizationsError('AccessDeniedException', "You don't have permissions to access this resource.");
    }
  }

  private parentOf(input: Json): string {
    const parentId = input.ParentId;
    if (parentId === undefined || parentId === null) {
      throw invalidInput('INPUT_REQUIRED', 'You must specify a value for ParentId.');
    }
    if (typeof parentId !== 'string' || (!ROOT_ID.test(parentId) && !UNIT_ID.test(parentId))) {
      throw invalidInput('INVALID_PATTERN_TARGET_ID', `ParentId ${JSON.stringify(parentId)} is not a root or OU id.`);
    }
    if (!this.units.has(parentId)) {
      throw new OrganizationsError('ParentNotFoundException', "We can't find a root or OU with the ParentId that you specified.");
    }
    return parentId;
  }

  /** A page of `items`; the token names the listing it continues (another listing refuses it) and the offset. */
  private page<T>(items: readonly T[], input: Json, listing: string): { items: T[]; nextToken?: string } {
    const maxResults = input.MaxResults ?? this.pageSize;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS) {
      throw invalidInput('MAX_LIMIT_EXCEEDED_FILTER', `MaxResults must be an integer 1..${MAX_RESULTS}.`);
    }
    let offset = 0;
    if (input.NextToken !== undefined && input.NextToken !== null) {
      const decoded = typeof input.NextToken === 'string' ? Buffer.from(input.NextToken, 'base64').toString('utf8') : '';
      const separator = decoded.lastIndexOf('#');
      offset = Number(decoded.slice(separator + 1));
      if (separator < 0 || decoded.slice(0, separator) !== listing || !Number.isInteger(offset) || offset < 0) {
        throw invalidInput('INVALID_PAGINATION_TOKEN', 'The NextToken is not valid for this request.');
      }
    }
    const end = offset + maxResults;
    return {
      items: items.slice(offset, end),
      ...(end < items.length ? { nextToken: Buffer.from(`${listing}#${end}`).toString('base64') } : {}),
    };
  }

  private accountJson(account: Account): Json {
    const status = STATUS_OF[account.state];
    return {
      Id: account.id,
      Arn: `arn:aws:organizations::${this.managementAccountId}:account/${this.id}/${account.id}`,
      Email: `${account.name}@example.com`,
      Name: account.name,
      ...(status ? { Status: status } : {}),
      State: account.state,
      JoinedMethod: account.id === this.managementAccountId ? 'CREATED' : 'INVITED',
      JoinedTimestamp: account.joinedAt.getTime() / 1000,
    };
  }

  private childUnitsOf(parentId: string): string[] {
    const children = this.units.get(parentId);
    if (children === undefined) throw new RangeError(`no root or OU ${parentId} (an OU must be listed after its parent)`);
    return children;
  }

  private accountsUnder(parentId: string): Account[] {
    const accounts = this.accounts.get(parentId);
    if (accounts === undefined) throw new RangeError(`no root or OU ${parentId} for an account`);
    return accounts;
  }
}

export function isOrganizationsRequest(target: string | string[] | undefined): target is string {
  return typeof target === 'string' && target.startsWith(ORGANIZATIONS_TARGET_PREFIX);
}

/** What AWS answers a caller when the simulator models no organization: its account belongs to none. */
export function noOrganization(): OrganizationsAnswer {
  return {
    status: STATUS_OF_ERROR.AWSOrganizationsNotInUseException ?? 404,
    body: JSON.stringify({
      __type: 'AWSOrganizationsNotInUseException',
      Message:
        'Your account is not a member of an organization. To make this request, you must use the credentials of an account that belongs to an organization.',
    }),
  };
}

function invalidInput(reason: string, message: string): OrganizationsError {
  return new OrganizationsError('InvalidInputException', message, reason);
}

function parseInput(body: string): Json {
  return parseJsonObject(body, (message) => new OrganizationsError('SerializationException', message));
}
