/**
 * The mirroring window: an optional tag whose value is an ISO-8601 UTC time after which an instance is no longer
 * mirrored (an incident capture that must not outlive the incident). Pure: the caller says what time it is.
 */

/** YYYY-MM-DDTHH:MM[:SS[.fff]]Z: UTC only, so the same value means the same instant to everybody who reads it. */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z$/;

export type MirrorWindow =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'open'; readonly endsAt: Date }
  | { readonly kind: 'ended'; readonly endsAt: Date }
  | { readonly kind: 'malformed'; readonly detail: string };

/** The end time a tag value names, or why it names none. */
export function parseWindowEnd(value: string): Date | string {
  const match = ISO_UTC.exec(value.trim());
  if (match === null) return 'is not an ISO-8601 UTC time like 2026-12-04T23:00:00Z';
  const [, year, month, day, hour, minute, second = '0', fraction = '0'] = match;
  const millis = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, '0')),
  );
  const date = new Date(millis);
  // Date.UTC rolls 2026-02-30 over into March: a calendar date that does not exist is refused, not reinterpreted.
  const exists =
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === Number(month) - 1 &&
    date.getUTCDate() === Number(day) &&
    date.getUTCHours() === Number(hour) &&
    date.getUTCMinutes() === Number(minute) &&
    date.getUTCSeconds() === Number(second);
  return exists ? date : 'names a date or time that does not exist';
}

export function readMirrorWindow(tags: Readonly<Record<string, string>>, tagKey: string | undefined, now: Date): MirrorWindow {
  if (tagKey === undefined) return { kind: 'unbounded' };
  const raw = tags[tagKey];
  if (raw === undefined) return { kind: 'unbounded' };
  const parsed = parseWindowEnd(raw);
  if (typeof parsed === 'string') {
    return { kind: 'malformed', detail: `tag ${tagKey}=${JSON.stringify(raw)} ${parsed}; fix or remove the tag` };
  }
  return parsed.getTime() <= now.getTime() ? { kind: 'ended', endsAt: parsed } : { kind: 'open', endsAt: parsed };
}

export interface DueWindow {
  readonly instanceId: string;
  readonly endsAt: Date;
}

/**
 * The windows a one-minute tick must close: those ending before the next tick (within `lookAheadMs`), and those
 * that ended less than `graceMs` ago (a tick that failed and was retried). Older ones are the sweep's. Sorted by
 * end time; malformed values are not windows (converge refuses them when their tag changes).
 */
export function dueWindows(values: ReadonlyMap<string, string>, now: Date, lookAheadMs: number, graceMs: number): DueWindow[] {
  const from = now.getTime() - graceMs;
  const to = now.getTime() + lookAheadMs;
  const due: DueWindow[] = [];
  for (const [instanceId, value] of values) {
    const endsAt = parseWindowEnd(value);
    if (typeof endsAt === 'string') continue;
    if (endsAt.getTime() > from && endsAt.getTime() <= to) due.push({ instanceId, endsAt });
  }
  return due.sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime() || (a.instanceId < b.instanceId ? -1 : 1));
}
