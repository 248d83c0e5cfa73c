/**
 * Traffic mirror targets shared through AWS RAM. A target owned by account A and shared with account B is listed in
 * B's DescribeTrafficMirrorTargets (OwnerId A) and can be the target of B's sessions; those sessions stay B's, are
 * listed to A (the target's owner sees every session on its targets, whichever account made it) but B never sees
 * sessions of other accounts, and they all count towards the target's source limit. Sharing stays in the Region.
 */
import type { SimState, TrafficMirrorSession, TrafficMirrorTarget } from '../model/state';
import { checkAccountId } from './identity';
import type { World, Worlds } from './worlds';

/** What a target carries across accounts: where its owner's records are, and its distinct sources everywhere. */
export interface TargetLoad {
  readonly ownerState: SimState;
  readonly sourceCount: number;
  serves(networkInterfaceId: string): boolean;
}

export class Organization {
  /** Target id -> the accounts it is shared with. */
  private readonly grantees = new Map<string, Set<string>>();

  constructor(private readonly worlds: Worlds) {}

  share(owner: World, targetId: string, withAccountId: string): void {
    checkAccountId(withAccountId, 'shareTarget');
    if (!owner.state.targets.has(targetId)) {
      throw new RangeError(`account ${owner.accountId} owns no target ${targetId} in ${owner.region}`);
    }
    const accounts = this.grantees.get(targetId) ?? new Set<string>();
    accounts.add(withAccountId);
    this.grantees.set(targetId, accounts);
  }

  /** Targets of other accounts in the caller's Region shared with the caller. */
  sharedWith(caller: World): TrafficMirrorTarget[] {
    return this.othersInRegion(caller).flatMap((world) =>
      [...world.state.targets.values()].filter((target) => this.isSharedWith(target.trafficMirrorTargetId, caller.accountId)),
    );
  }

  /** The caller's own target, or one shared with it; undefined when neither. */
  usableTarget(caller: World, targetId: string): TrafficMirrorTarget | undefined {
    return caller.state.targets.get(targetId) ?? this.sharedWith(caller).find((t) => t.trafficMirrorTargetId === targetId);
  }

  /** Sessions made in other accounts on the caller's own targets. */
  sessionsOnTargetsOf(caller: World): TrafficMirrorSession[] {
    return this.othersInRegion(caller).flatMap((world) =>
      [...world.state.sessions.values()].filter((session) => caller.state.targets.has(session.trafficMirrorTargetId)),
    );
  }

  loadOf(caller: World, target: TrafficMirrorTarget): TargetLoad {
    const worlds = this.worlds.inRegion(caller.region);
    const targetId = target.trafficMirrorTargetId;
    const ownerState = worlds.find((world) => world.state.targets.has(targetId))?.state ?? caller.state;
    return {
      ownerState,
      // ENI ids are unique across accounts, so the distinct sources of each account add up.
      sourceCount: worlds.reduce((sum, world) => sum + world.state.sourceCountOfTarget(targetId), 0),
      serves: (eniId) => worlds.some((world) => world.state.targetServes(targetId, eniId)),
    };
  }

  private isSharedWith(targetId: string, accountId: string): boolean {
    return this.grantees.get(targetId)?.has(accountId) ?? false;
  }

  private othersInRegion(caller: World): World[] {
    return this.worlds.inRegion(caller.region).filter((world) => world.accountId !== caller.accountId);
  }
}
