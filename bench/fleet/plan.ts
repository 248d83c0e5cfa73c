/**
 * The burst's fleet, as data: which instances to launch (type, zone, one or two ENIs) and the target pool. Pure and
 * seeded, so a run can be repeated exactly. Launching is fleet/launch.ts's job.
 */
import { seededRandom } from '../../local/random';

/** Nitro sizes that are supported mirror sources (docs/AWS-FACTS.md): the burst is about attaching, not refusing. */
export const SUPPORTED_TYPES = ['m5.large', 'm5.xlarge', 'c5.large', 'c5.2xlarge', 'r5.large', 't3.medium'] as const;
/** Families AWS refuses as sources: only used when --unsupported-share asks for refusals in the mix. */
export const UNSUPPORTED_TYPES = ['m6i.large', 't2.micro', 'c7g.large'] as const;

export interface PlannedInstance {
  readonly instanceType: string;
  /** Index into the simulator's default subnets (one per zone). */
  readonly zoneIndex: number;
  readonly eniCount: 1 | 2;
}

export interface PlannedTargets {
  /** Network-interface targets per zone: each serves at most 10 sources, so they take a small share. */
  readonly interfaceTargetsPerZone: number;
  /** Network Load Balancer targets: no source limit, they take most of the burst. */
  readonly loadBalancerTargets: number;
}

export interface FleetPlan {
  readonly instances: readonly PlannedInstance[];
  readonly targets: PlannedTargets;
  /** ENIs that should end up mirrored: every ENI of a supported instance. */
  readonly expectedSessions: number;
}

export interface FleetShape {
  readonly instances: number;
  readonly twoEniShare: number;
  readonly unsupportedShare: number;
  readonly zones: number;
  readonly seed: number;
}

export function planFleet(shape: FleetShape): FleetPlan {
  const random = seededRandom(shape.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const instances: PlannedInstance[] = [];
  let expectedSessions = 0;
  for (let i = 0; i < shape.instances; i++) {
    const unsupported = random() < shape.unsupportedShare;
    const eniCount = random() < shape.twoEniShare ? 2 : 1;
    instances.push({
      instanceType: unsupported ? pick(UNSUPPORTED_TYPES) : pick(SUPPORTED_TYPES),
      zoneIndex: Math.floor(random() * shape.zones),
      eniCount,
    });
    if (!unsupported) expectedSessions += eniCount;
  }
  // Two interface targets per zone fill up early (10 sources each), exercising the per-target limit and the fall
  // through to the load balancers, which absorb the rest.
  return { instances, targets: { interfaceTargetsPerZone: 2, loadBalancerTargets: 2 }, expectedSessions };
}

/** Instances grouped by identical launch parameters: one RunInstances call per group (MinCount = MaxCount = size). */
export function launchGroups(plan: FleetPlan): { readonly spec: PlannedInstance; readonly count: number }[] {
  const groups = new Map<string, { spec: PlannedInstance; count: number }>();
  for (const instance of plan.instances) {
    const key = `${instance.instanceType}|${instance.zoneIndex}|${instance.eniCount}`;
    const group = groups.get(key);
    if (group) group.count += 1;
    else groups.set(key, { spec: instance, count: 1 });
  }
  return [...groups.values()];
}
