/**
 * One EC2 per account and Region, as AWS keeps them: each (account, Region) has its own resources, lifecycle,
 * events, ClientTokens and SSM parameters; ids come from one generator, so they are unique across them (as AWS's
 * are).
 */

import { EventHub, type EventHubOptions, type EventListener } from '../events';
import { Lifecycle } from '../lifecycle';
import type { ConsistencyWindow } from '../model/recent-deletions';
import { CreationOrder, createDefaultSubnets, SimState } from '../model/state';
import type { XmlValue } from '../protocol/xml';
import { ParameterStore } from '../ssm/parameter-store';

export interface World {
  readonly accountId: string;
  readonly region: string;
  readonly state: SimState;
  readonly lifecycle: Lifecycle;
  readonly events: EventHub;
  readonly idempotency: Map<string, { fingerprint: string; response: Record<string, XmlValue> }>;
  /** SSM Parameter Store of this account and Region. */
  readonly parameters: ParameterStore;
}

export interface WorldSettings {
  readonly transitionDelayMs: number;
  readonly terminatedRetentionMs: number;
  readonly events: Omit<EventHubOptions, 'region' | 'accountId'>;
  /** The eventual-consistency window, one for every world, changed in place. */
  readonly consistencyWindow: ConsistencyWindow;
}

export class Worlds {
  private readonly byKey = new Map<string, World>();
  private readonly order = new CreationOrder();
  /** Each listener with what removes it from every world it was added to. */
  private readonly listeners = new Map<EventListener, Array<() => void>>();

  constructor(private readonly settings: WorldSettings) {}

  /** The EC2 of this account in this Region, made (with its default VPC) on first use. */
  get(accountId: string, region: string): World {
    const key = `${accountId}/${region}`;
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const state = new SimState(this.order, this.settings.consistencyWindow);
    createDefaultSubnets(state, region);
    const events = new EventHub({ ...this.settings.events, region, accountId });
    for (const [listener, unsubscribes] of this.listeners) unsubscribes.push(events.subscribe(listener));
    const world: World = {
      accountId,
      region,
      state,
      events,
      lifecycle: new Lifecycle(state, events, this.settings.transitionDelayMs, this.settings.terminatedRetentionMs),
      idempotency: new Map(),
      parameters: new ParameterStore(),
    };
    this.byKey.set(key, world);
    return world;
  }

  all(): World[] {
    return [...this.byKey.values()];
  }

  inRegion(region: string): World[] {
    return this.all().filter((world) => world.region === region);
  }

  /** Every account's events, including accounts first used later. */
  subscribe(listener: EventListener): () => void {
    const unsubscribes = this.all().map((world) => world.events.subscribe(listener));
    this.listeners.set(listener, unsubscribes);
    return () => {
      this.listeners.delete(listener);
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }
}
