/** What the governance features need beyond converge's ports: the account's whole inventory, and announcements. */
import type { HistoryRecord } from '../domain/mirrored-intervals';
import type { SessionFacts } from '../domain/types';
import type { Announcement, InventorySession } from '../domain/unmanaged-sessions';

export interface InventoryPort {
  /** Every traffic mirror session of the account, whoever made it, with its ENI's instance and its target's owner. */
  listAllSessions(): Promise<InventorySession[]>;
  /** The same view of sessions already read (the sweep's one read of the account's sessions). */
  inventoryOf(sessions: readonly SessionFacts[]): Promise<InventorySession[]>;
  /** Instance id -> value of `tagKey`, for every instance carrying that key (any state). */
  listInstanceTagValues(tagKey: string): Promise<Map<string, string>>;
}

export interface AnnouncementPort {
  /** What was announced about these sessions; sessions never announced are absent. */
  read(sessionIds: readonly string[]): Promise<Map<string, Announcement>>;
  /**
   * Remembers an announcement, only if the item still holds `previousFingerprint` (absent: only if there is none).
   * False when another run recorded first: that run announces, this one stays quiet.
   */
  record(sessionId: string, announcement: Announcement, previousFingerprint: string | undefined): Promise<boolean>;
}

/** A history item with the (account, Region) it was recorded in; both absent for the hub's home scope. */
export interface ScopedHistoryRecord extends HistoryRecord {
  readonly accountId?: string;
  readonly region?: string;
}

export interface HistoryReaderPort {
  /** Every history item the ledger still holds (it keeps HISTORY_TTL_DAYS of it), of every scope. */
  readHistory(): Promise<ScopedHistoryRecord[]>;
}
