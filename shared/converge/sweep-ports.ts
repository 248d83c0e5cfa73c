/**
 * What the sweep needs beyond converge's ports: where it stopped last time, the target items to audit, and the
 * backfill of the index it reads tracked ENI items through.
 */

export interface SweepCursorPort {
  /** The last instance id a bounded run converged (runs resume after it); undefined: start from the beginning. */
  read(): Promise<string | undefined>;
  write(lastInstanceId: string | undefined): Promise<void>;
}

export interface TargetSources {
  readonly targetId: string;
  /** ENI ids the ledger counts against the target (a target with a source limit). */
  readonly sources: readonly string[];
  /** The count the ledger holds: of `sources`, or for a load balancer target as the last sweep counted it. */
  readonly sourceCount: number;
  /** When the target item last changed. */
  readonly updatedAt: string;
  /** When each source was taken, where the item records it (an item written before it did not). */
  readonly sourceSince: ReadonlyMap<string, string>;
}

/** What the audit saw of a source it releases: its own reservation time, or for an older item, the item's. */
export type SeenSource = { readonly since: string } | { readonly itemUpdatedAt: string };

export interface TargetAuditPort {
  readTargetSources(targetIds: readonly string[]): Promise<TargetSources[]>;
  /**
   * Removes `eniId` from the target's sources only if the source was not taken again since it was read (for an older
   * item: if the item is unchanged); the item's new updatedAt, or undefined when it was not released.
   */
  releaseSourceIfUnchanged(targetId: string, eniId: string, seen: SeenSource): Promise<string | undefined>;
  /**
   * Sets a load balancer target's count (no limit, so attaches do not count it) and drops any list of sources an
   * older version kept on it.
   */
  setLoadBalancerCount(targetId: string, sourceCount: number): Promise<void>;
}

/** Target id -> ENIs holding a managed slot on it, from every ENI item of the ledger (read through its index). */
export type SlotHoldersByTarget = ReadonlyMap<string, readonly string[]>;

export interface SlotHolderPort {
  readManagedSlotHolders(): Promise<SlotHoldersByTarget>;
}

export interface BackfillStep {
  /** Every ENI item is in the index: the sweep reads tracked ENI items through it, never the whole table. */
  readonly done: boolean;
  /** ENI items this step added to the index. */
  readonly indexed: number;
  /** Scan pages this step read. */
  readonly pages: number;
}

/** Puts ENI items written before the tracked-ENI index existed into it, a bounded step per sweep run. */
export interface TrackedIndexBackfill {
  step(): Promise<BackfillStep>;
}

/**
 * The targets the last sweep counted: a target taken out of the pool is still audited until the ledger counts
 * nothing on it (a load balancer's count is the sweep's alone to keep; no attach or detach changes it).
 */
export interface CountedTargetsPort {
  read(): Promise<readonly string[]>;
  write(targetIds: readonly string[]): Promise<void>;
}

export interface SweepLedgerPort extends TargetAuditPort, SlotHolderPort {
  readonly cursor: SweepCursorPort;
  readonly countedTargets: CountedTargetsPort;
  readonly trackedIndex: TrackedIndexBackfill;
}
