/**
 * Watching the sessions we did not make. Mirroring copies every packet of an interface, so a session to a target
 * nobody configured is a way out for an attacker: each one is classified, and the unknown ones are announced once
 * (again only when they change). Pure: the inventory is read elsewhere; nothing here ever modifies a session.
 */

/** A traffic mirror session as the account inventory sees it, whoever made it. */
export interface InventorySession {
  readonly sessionId: string;
  /** The account that owns the session. */
  readonly ownerAccountId?: string;
  readonly eniId: string;
  /** The instance the source ENI is attached to, when it is attached. */
  readonly instanceId?: string;
  readonly targetId: string;
  /** The account that owns the target; undefined when the target cannot be described from here. */
  readonly targetOwnerAccountId?: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
  /** Carries our ownership tag: ours, never reported. */
  readonly managed: boolean;
}

/**
 * Why a session not made by us is unknown:
 * - target-not-found: its target cannot be described here (another account that does not share it, or gone);
 * - target-in-another-account: the target is owned by another account than the session;
 * - target-not-configured: the target is in this account but in neither the pool nor the allow-list.
 */
export type UnknownCause = 'target-not-found' | 'target-in-another-account' | 'target-not-configured';

export type SessionClass =
  | { readonly kind: 'managed' }
  /** Hand-made, to a target of the pool or the allow-list. */
  | { readonly kind: 'known' }
  | { readonly kind: 'unknown'; readonly cause: UnknownCause };

export function classifySession(session: InventorySession, knownTargetIds: ReadonlySet<string>): SessionClass {
  if (session.managed) return { kind: 'managed' };
  if (knownTargetIds.has(session.targetId)) return { kind: 'known' };
  if (session.targetOwnerAccountId === undefined) return { kind: 'unknown', cause: 'target-not-found' };
  if (session.ownerAccountId !== undefined && session.targetOwnerAccountId !== session.ownerAccountId) {
    return { kind: 'unknown', cause: 'target-in-another-account' };
  }
  return { kind: 'unknown', cause: 'target-not-configured' };
}

/** What makes an announced session "changed": where it copies from and to, and how. */
export function sessionFingerprint(session: InventorySession): string {
  return [
    session.eniId,
    session.instanceId ?? '-',
    session.targetId,
    session.targetOwnerAccountId ?? '-',
    session.filterId,
    session.sessionNumber,
    session.virtualNetworkId ?? '-',
    session.packetLength ?? '-',
  ].join('|');
}

/** What the ledger remembers of an announced session. */
export interface Announcement {
  readonly fingerprint: string;
  readonly firstSeenAt: string;
}

export interface UnknownSession {
  readonly session: InventorySession;
  readonly cause: UnknownCause;
  readonly fingerprint: string;
  /** When the product first saw it (kept across changes). */
  readonly firstSeenAt: string;
  /** 'new': never announced; 'changed': announced with another fingerprint; 'announced': nothing new to say. */
  readonly status: 'new' | 'changed' | 'announced';
  /** The fingerprint last announced, when there was one. */
  readonly previousFingerprint?: string;
}

/** Every unknown session of the inventory, with what to say about it given what was already announced. */
export function findUnknownSessions(
  inventory: readonly InventorySession[],
  knownTargetIds: ReadonlySet<string>,
  announced: ReadonlyMap<string, Announcement>,
  now: Date,
): UnknownSession[] {
  return inventory.flatMap((session): UnknownSession[] => {
    const verdict = classifySession(session, knownTargetIds);
    if (verdict.kind !== 'unknown') return [];
    const fingerprint = sessionFingerprint(session);
    const previous = announced.get(session.sessionId);
    const status = previous === undefined ? 'new' : previous.fingerprint === fingerprint ? 'announced' : 'changed';
    const firstSeenAt = previous?.firstSeenAt ?? now.toISOString();
    const found: UnknownSession = { session, cause: verdict.cause, fingerprint, firstSeenAt, status };
    return [previous === undefined ? found : { ...found, previousFingerprint: previous.fingerprint }];
  });
}
