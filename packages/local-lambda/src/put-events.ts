/**
 * EventBridge's PutEvents as the bus receives it: the entries' shape, the per-entry checks EventBridge makes
 * (a failed entry is reported, the batch is not failed), and the envelope an accepted entry becomes.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from './event-bus';

export const MAX_ENTRIES_PER_PUT = 10;

export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  /** ISO string, Date, or epoch seconds (what the SDK sends on the wire). */
  readonly Time?: string | number | Date;
  readonly EventBusName?: string;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: ReadonlyArray<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
}

/** Why EventBridge would refuse this entry, or undefined when it takes it. */
export function entryProblem(entry: PutEventsEntry): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (!entry.Source)
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' };
  if (!entry.DetailType)
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' };
  if (entry.Detail === undefined)
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' };
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** The event an accepted entry becomes on the bus. */
export function envelopeOf(entry: PutEventsEntry, origin: { readonly accountId: string; readonly region: string }): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType as string,
    source: entry.Source as string,
    account: origin.accountId,
    time: timeOf(entry.Time),
    region: origin.region,
    resources: [...(entry.Resources ?? [])],
    detail: JSON.parse(entry.Detail as string),
  };
}

function timeOf(time: PutEventsEntry['Time']): string {
  // EventBridge's envelope carries seconds precision: 2026-10-02T14:05:11Z.
  const date = time === undefined ? new Date() : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A bus named by name or by ARN (arn:...:event-bus/<name>), as its name. */
export function busNameOf(nameOrArn: string): string {
  const marker = ':event-bus/';
  return nameOrArn.includes(marker) ? nameOrArn.slice(nameOrArn.indexOf(marker) + marker.length) : nameOrArn;
}
