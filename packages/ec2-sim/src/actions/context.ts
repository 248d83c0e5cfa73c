/** What every action handler gets: the state, id generation, the lifecycle, events and the request's identity. */

import type { EventHub } from '../events';
import type { Lifecycle } from '../lifecycle';
import type { IdGenerator } from '../model/ids';
import type { Lagging, LaggingKind } from '../model/recent-deletions';
import type { SimState } from '../model/state';
import type { Organization } from '../org/sharing';
import type { World } from '../org/worlds';
import type { Params } from '../protocol/query';
import type { XmlValue } from '../protocol/xml';
import type { Limits } from '../rules/limits';

export interface ActionContext {
  readonly state: SimState;
  readonly ids: IdGenerator;
  readonly lifecycle: Lifecycle;
  readonly events: EventHub;
  readonly region: string;
  readonly accountId: string;
  readonly limits: Limits;
  readonly requestId: string;
  /** The caller's (account, Region), and the accounts around it (targets shared through RAM). */
  readonly world: World;
  readonly organization: Organization;
  /**
   * Resources created less than this long ago answer NotFound, and sessions, ENIs, targets and filters deleted less
   * than this long ago are still listed (EC2's eventual consistency).
   */
  readonly consistencyWindowMs: number;
  /** ClientToken -> the parameters it was first used with and the answer given. */
  readonly idempotency: Map<string, { fingerprint: string; response: Record<string, XmlValue> }>;
  now(): number;
}

export type ActionHandler = (ctx: ActionContext, params: Params) => Record<string, XmlValue>;

export function isVisible(ctx: ActionContext, id: string): boolean {
  if (ctx.consistencyWindowMs <= 0) return true;
  const createdAt = ctx.state.createdAt.get(id);
  return createdAt === undefined || ctx.now() - createdAt >= ctx.consistencyWindowMs;
}

/**
 * What a Describe listing of one kind shows: the resources visible now (older than the window), then those deleted
 * within it, still listed as EC2's reads lag its writes both ways.
 */
export function listedNow<K extends LaggingKind>(
  ctx: ActionContext,
  kind: K,
  live: Iterable<Lagging[K]>,
  idOf: (resource: Lagging[K]) => string,
) {
  return [...[...live].filter((resource) => isVisible(ctx, idOf(resource))), ...ctx.state.recentlyDeleted.stillListed(kind, ctx.now())];
}
