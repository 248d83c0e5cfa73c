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
  readonly bucket: Pacer;
}

export interface OrganizationPort {
  /** The document, read again from Parameter Store when the cached copy is older than a minute. */
  document(): Promise<Organization>;
  /** Undefined when the document does not list the scope's account or Region: nothing of ours to do there. */
  depsFor(scope: Scope): Promise<ScopedDeps | undefined>;
  /** True for an error that says the hub may not act in a scope (spoke role missing, or denied by STS or EC2). */
  isAccessDenied(error: unknown): boolean;
}
