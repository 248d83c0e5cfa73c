/** What the sweep needs beyond converge's ports: where it stopped last time, and the target items to audit. */

export interface SweepCursorPort {
  /** The last instance id a bounded run converged (runs resume after it); undefined: start from the beginning. */
  read(): Promise<string | undefined>;
  write(lastInstanceId: string | undefined): Promise<void>;
}

export interface TargetSources {
  readonly targetId: string;
  /** ENI ids the ledger counts against the target. */
  readonly sources: readonly string[];
  /** When the target item last changed. */
  readonly updatedAt: string;
}

export interface TargetAuditPort {
  readTargetSources(targetIds: readonly string[]): Promise<TargetSources[]>;
  /** Removes `eniId` from the target's sources only if the item is unchanged since it was read; false otherwise. */
  releaseSourceIfUnchanged(targetId: string, eniId: string, seenUpdatedAt: string): Promise<boolean>;
}

/** Target id -> ENIs holding a managed slot on it, from every ENI item of the ledger. */
export type SlotHoldersByTarget = ReadonlyMap<string, readonly string[]>;

export interface SlotHolderPort {
  readManagedSlotHolders(): Promise<SlotHoldersByTarget>;
}

export interface SweepLedgerPort extends TargetAuditPort, SlotHolderPort {
  readonly cursor: SweepCursorPort;
}
