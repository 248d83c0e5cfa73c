/** What the organization's handlers need from the wiring: converge's dependencies for one (account, Region). */
import type { Organization, Scope } from '../config/organization';
import type { Pacer } from '../util/token-bucket';
import type { ConvergeDeps, Ec2Port } from './ports';
import type { SweepLedgerPort } from './sweep-ports';
import type { UnmanagedWatch } from './unmanaged-sessions';

export interface ScopedDeps extends ConvergeDeps {
  readonly scope: Scope;
  /** The scope's sweep cursor; the target audit it reads spans every scope. */
  readonly sweepLedger: SweepLedgerPort;
  /** Sessions not ours in the scope, for the sweep to watch. */
  readonly unmanaged: UnmanagedWatch;
  /** The scope's own pacing of mutating EC2 calls: the document's share of the account's budget in the Region. */
  readonly pacing: ScopePacing;
  /** The hub's own account in the scope's Region: as the shared targets' owner, it sees every account's sessions on them. */
  readonly targetOwnerView: Pick<Ec2Port, 'describeSessionsOnInterfaces'>;
}

export interface ScopePacing {
  readonly capacity: number;
  readonly refillPerSecond: number;
  /** Shared by every container converging the scope (the ledger's pacing item). */
  readonly bucket: SharedPacer;
}

export type Claim = { readonly granted: true } | { readonly granted: false; readonly dueInMs: number };

/** A pacer shared by containers that can also hand one container several tokens at once, when they are due soon. */
export interface SharedPacer extends Pacer {
  /** `count` tokens when the first is due within `withinMs`, for this container's next takes; else when it would be. */
  claim(count: number, withinMs: number): Promise<Claim>;
  /** Forgets the claimed tokens not taken; answers how many. */
  dropClaimed(): number;
}

/**
 * Why a record was put back on its queue, each with its own count in a message attribute
 * (shared/aws/record-deferral.ts), so that each limit counts only its own: `paced`, the hub's account budget had no
 * room (pacing-gate.ts); `handed-on`, the invocation reached its deadline before converging its instance (batch.ts).
 */
export type DeferralCause = 'paced' | 'handed-on';

export const DEFERRAL_ATTRIBUTES: Readonly<Record<DeferralCause, string>> = {
  paced: 'mirror-deferrals',
  'handed-on': 'mirror-hand-ons',
};

/** What deferring needs of an SQS record (Lambda's SQSRecord has it). */
export interface QueuedRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSourceARN: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string | undefined }>>;
}

/** How often the record was put back for this cause. */
export function deferralsOf(record: QueuedRecord, cause: DeferralCause): number {
  const value = Number(record.messageAttributes?.[DEFERRAL_ATTRIBUTES[cause]]?.stringValue ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
}

/** Puts records back on their queue for later. */
export interface RecordDeferral {
  /**
   * Each record as a new message, invisible for `delaySeconds`, its count for `cause` one higher and its other
   * counts kept: the message ids of the records put back.
   */
  defer(records: readonly QueuedRecord[], delaySeconds: number, cause: DeferralCause): Promise<ReadonlySet<string>>;
}

/** AWS Organizations' tree, read-only (shared/aws/organization-tree.ts). */
export interface OrganizationTreePort {
  /** The ACTIVE accounts under an OU (or the root), those of its child OUs at any depth included. */
  activeAccountsUnder(unitId: string): Promise<readonly string[]>;
}

export interface OrganizationPort {
  /** The document, read again from Parameter Store when the cached copy is older than a minute. */
  document(): Promise<Organization>;
  /**
   * Every (account, Region) mirrored: the document's accounts and the ACTIVE accounts under its OUs (resolved
   * through AWS Organizations, cached), minus the excluded ones, in each of its Regions.
   */
  scopes(): Promise<Scope[]>;
  /** Undefined when the document does not list the scope's account or Region: nothing of ours to do there. */
  depsFor(scope: Scope): Promise<ScopedDeps | undefined>;
  /** True for an error that says the hub may not act in a scope (spoke role missing, or denied by STS or EC2). */
  isAccessDenied(error: unknown): boolean;
}
