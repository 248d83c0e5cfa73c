/**
 * An auditor's question, "which instances were mirrored, and since when?", answered from the ledger history: each
 * session's attach opens an interval, its detach (or the ledger's release when EC2 lost it) closes it. Pure.
 */

/** The fields of a ledger history item the intervals need. */
export interface HistoryRecord {
  readonly at: string;
  readonly instanceId: string;
  readonly eniId?: string;
  readonly action: string;
  readonly reason: string;
  readonly sessionId?: string;
  readonly targetId?: string;
}

export interface MirroredInterval {
  readonly instanceId: string;
  readonly eniId: string;
  readonly sessionId: string;
  readonly targetId?: string;
  /** Clipped to the range asked for; `openAtStart` / `openAtEnd` say whether it began before or lasts past it. */
  readonly from: string;
  readonly to: string;
  readonly openAtStart: boolean;
  readonly openAtEnd: boolean;
  /** Why it ended (detach or release reason), when it ended within the range. */
  readonly endReason?: string;
}

/** Every interval overlapping [since, until], by instance, ENI and start time. */
export function mirroredIntervals(history: readonly HistoryRecord[], since: Date, until: Date): MirroredInterval[] {
  const bySession = new Map<string, { start?: HistoryRecord; end?: HistoryRecord }>();
  for (const record of [...history].sort((a, b) => a.at.localeCompare(b.at))) {
    if (record.sessionId === undefined || record.eniId === undefined) continue;
    const entry = bySession.get(record.sessionId) ?? {};
    if (record.action === 'attach' && entry.start === undefined) entry.start = record;
    if ((record.action === 'detach' || record.action === 'release') && entry.end === undefined) entry.end = record;
    bySession.set(record.sessionId, entry);
  }
  const intervals: MirroredInterval[] = [];
  for (const [sessionId, { start, end }] of bySession) {
    // A session only ever seen ending began before the history kept (HISTORY_TTL_DAYS): it is not guessed.
    if (start === undefined || start.eniId === undefined) continue;
    const began = Date.parse(start.at);
    const ended = end === undefined ? Number.POSITIVE_INFINITY : Date.parse(end.at);
    if (began > until.getTime() || ended < since.getTime()) continue;
    const openAtEnd = ended > until.getTime();
    intervals.push({
      instanceId: start.instanceId,
      eniId: start.eniId,
      sessionId,
      ...(start.targetId !== undefined ? { targetId: start.targetId } : {}),
      from: new Date(Math.max(began, since.getTime())).toISOString(),
      to: new Date(Math.min(ended, until.getTime())).toISOString(),
      openAtStart: began < since.getTime(),
      openAtEnd,
      ...(!openAtEnd && end !== undefined ? { endReason: end.reason } : {}),
    });
  }
  return intervals.sort(
    (a, b) => a.instanceId.localeCompare(b.instanceId) || a.eniId.localeCompare(b.eniId) || a.from.localeCompare(b.from),
  );
}
