/**
 * Resources deleted less than the eventual-consistency window ago, by kind: EC2's listings still show them for a
 * while ("the result of an API command ... might not be immediately visible to all subsequent commands": AWS's
 * "Eventual consistency in the Amazon EC2 API"), whether they went by their own Delete call or with what held them
 * (a session with its deleted ENI, an ENI with its terminated instance). Calls naming one answer NotFound at once.
 */

import type { NetworkInterface, TrafficMirrorFilter, TrafficMirrorSession, TrafficMirrorTarget } from './state';

export interface Lagging {
  trafficMirrorSession: TrafficMirrorSession;
  networkInterface: NetworkInterface;
  trafficMirrorTarget: TrafficMirrorTarget;
  trafficMirrorFilter: TrafficMirrorFilter;
}

export type LaggingKind = keyof Lagging;

/** The window, shared by every account and Region of one simulator: 0 is off, and then nothing is kept. */
export interface ConsistencyWindow {
  ms: number;
}

export class RecentDeletions {
  private readonly byKind = new Map<LaggingKind, Map<string, { readonly resource: Lagging[LaggingKind]; readonly deletedAt: number }>>();

  constructor(private readonly window: ConsistencyWindow) {}

  record<K extends LaggingKind>(kind: K, id: string, resource: Lagging[K], deletedAt: number): void {
    if (this.window.ms <= 0) return;
    const deleted = this.byKind.get(kind) ?? new Map();
    deleted.set(id, { resource, deletedAt });
    this.byKind.set(kind, deleted);
  }

  /** What a listing of this kind still shows at `now`; what the window has passed is forgotten. */
  stillListed<K extends LaggingKind>(kind: K, now: number): Lagging[K][] {
    const deleted = this.byKind.get(kind);
    if (deleted === undefined) return [];
    const listed: Lagging[K][] = [];
    for (const [id, { resource, deletedAt }] of deleted) {
      // Recorded under this kind only by record<K>, so the resource is a Lagging[K].
      if (now - deletedAt < this.window.ms) listed.push(resource as Lagging[K]);
      else deleted.delete(id);
    }
    return listed;
  }
}
