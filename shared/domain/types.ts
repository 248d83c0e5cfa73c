/**
 * The vocabulary shared by planning (pure), the AWS adapters and the orchestration.
 * Nothing here imports AWS: adapters translate SDK shapes into these facts.
 */

import type { UnknownCause } from './unmanaged-sessions';

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export type TargetKind = 'network-interface' | 'network-load-balancer' | 'gateway-load-balancer-endpoint';

export type EniScope = 'all' | 'primary';

/** One network interface attached to an instance, as read from EC2. */
export interface NetworkInterfaceFacts {
  readonly eniId: string;
  /** EC2's InterfaceType: 'interface', 'efa', 'trunk', ... Only 'interface' can be a mirror source. */
  readonly interfaceType: string;
  readonly deviceIndex: number;
  readonly availabilityZone: string;
  /** True when this ENI is itself a traffic mirror target: AWS refuses it as a source. */
  readonly isMirrorTarget: boolean;
}

export interface InstanceFacts {
  readonly instanceId: string;
  readonly state: InstanceState;
  readonly instanceType: string;
  readonly availabilityZone: string;
  /** For reports (coverage per VPC and account); planning does not use them. */
  readonly vpcId?: string;
  readonly accountId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly networkInterfaces: readonly NetworkInterfaceFacts[];
}

/** From DescribeInstanceTypes. `hypervisor` is absent on bare metal. */
export interface InstanceTypeFacts {
  readonly instanceType: string;
  readonly hypervisor?: 'nitro' | 'xen';
  readonly bareMetal: boolean;
}

/** A traffic mirror session as read from EC2, with our ownership tags decoded. */
export interface SessionFacts {
  readonly sessionId: string;
  readonly eniId: string;
  readonly targetId: string;
  readonly filterId: string;
  readonly sessionNumber: number;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
  /** The account that owns the session (DescribeTrafficMirrorSessions' OwnerId). */
  readonly ownerAccountId?: string;
  /** True only when the session carries our owner tag with our owner id: the one thing that lets us touch it. */
  readonly managed: boolean;
  /** From our instance tag, on managed sessions. */
  readonly instanceId?: string;
  /** From our reservation tag, on managed sessions: ties the session to its ledger reservation. */
  readonly reservationId?: string;
}

export interface TargetFacts {
  readonly targetId: string;
  readonly kind: TargetKind;
  /** Set for network-interface targets (the target ENI's zone); load balancer targets serve every zone. */
  readonly availabilityZone?: string;
  /** Distinct source ENIs the target accepts; null = no limit (NLB, GWLB endpoint). */
  readonly sourceLimit: number | null;
}

/** Why an ENI is not (or no longer) mirrored. Stable strings: they appear in logs and outcome events. */
export type Reason =
  | 'eligible'
  | 'already-mirrored'
  | 'not-tagged'
  | 'not-running'
  | 'instance-gone'
  | 'unsupported-instance-type'
  | 'bare-metal'
  | 'not-primary-interface'
  | 'interface-type-not-supported'
  | 'interface-is-mirror-target'
  | 'interface-session-limit'
  | 'target-pool-full'
  | 'target-not-allowed'
  | 'filter-not-allowed'
  | 'network-interface-not-supported'
  | 'interface-detached'
  | 'settings-changed'
  | 'duplicate-managed-session'
  /** The instance's end-time tag (MIRROR_UNTIL_TAG_KEY) names a time that has passed. */
  | 'mirror-window-ended'
  /** The end-time tag is not an ISO-8601 UTC time: nothing is mirrored until it is fixed or removed. */
  | 'mirror-window-invalid'
  /** EC2's quota of sessions per account and Region is reached (TrafficMirrorSessionLimitExceeded). */
  | 'account-session-limit'
  /** EC2 rejected a parameter of the create (InvalidParameterValue, ...): the detail names it. */
  | 'invalid-parameter'
  /** The function's role may not create the session (UnauthorizedOperation). */
  | 'not-authorized'
  /** Any other permanent answer of EC2 to the create; the detail carries its code. */
  | 'ec2-refused';

/**
 * What apply records beyond planning's reasons: a session someone else deleted first, a reservation a concurrent
 * invocation handled, a ledger slot EC2 no longer backs, a target source nothing explains, and failures (the
 * detail carries the error).
 */
export type ApplyReason =
  | 'already-detached'
  | 'handled-by-concurrent-invocation'
  | 'session-gone'
  | 'target-source-orphaned'
  /** A session of ours (by its tags) the ledger held no slot for: announced as attached when found. */
  | 'unrecorded-session'
  | 'transient-failure'
  | 'permanent-failure'
  /** Organization: the hub may not act in the instance's account (its spoke role is missing or denies). */
  | 'spoke-access-denied';

/** Every reason a decision record, a history entry or an outcome event can carry. */
export type RecordReason = Reason | ApplyReason | UnknownCause;

export type Decision =
  | {
      readonly action: 'attach';
      readonly instanceId: string;
      readonly eniId: string;
      readonly filterId: string;
      /** Best first; apply falls through the list when the ledger says a target is full. */
      readonly targetCandidates: readonly string[];
      /**
       * Every target a session on this ENI may use (the pool, or the override), with room or not: a session another
       * invocation made on any of them is right, even on a target it has filled since.
       */
      readonly allowedTargetIds: readonly string[];
      /** Numbers free on this ENI at plan time, best first; apply re-checks them in the ledger. */
      readonly sessionNumberCandidates: readonly number[];
      readonly reason: Reason;
    }
  | {
      readonly action: 'detach';
      readonly instanceId: string;
      readonly eniId: string;
      readonly sessionId: string;
      readonly targetId: string;
      readonly reason: Reason;
    }
  | {
      readonly action: 'keep';
      readonly instanceId: string;
      readonly eniId: string;
      readonly sessionId: string;
      readonly targetId: string;
      readonly reason: Reason;
    }
  | {
      /** Nothing to do and nothing wrong: not tagged, not running. Logged, never published. */
      readonly action: 'skip';
      readonly instanceId: string;
      readonly eniId?: string;
      readonly reason: Reason;
    }
  | {
      /** The instance wants mirroring and cannot have it: logged and published as a refusal. */
      readonly action: 'refuse';
      readonly instanceId: string;
      /** Absent when the refusal concerns the whole instance (not tagged, unsupported type, gone). */
      readonly eniId?: string;
      readonly reason: Reason;
      /** One human sentence: what was refused and what would change it. */
      readonly detail: string;
    };

export type Action = Decision['action'];

/** Everything planning needs for one instance, already read; planning reads nothing itself. */
export interface PlanInput {
  readonly instanceId: string;
  /** undefined: EC2 no longer knows the instance (terminated long ago, or never existed). */
  readonly instance: InstanceFacts | undefined;
  /** undefined when the type could not be described; the static tables then decide. */
  readonly instanceType: InstanceTypeFacts | undefined;
  /** Every session on each of the instance's ENIs, managed or hand-made, keyed by ENI id. */
  readonly sessionsByEni: ReadonlyMap<string, readonly SessionFacts[]>;
  /** Managed sessions tagged for this instance that sit on ENIs it no longer has (detached ENIs). */
  readonly strayManagedSessions: readonly SessionFacts[];
  /** Session numbers the ledger holds per ENI (reservations in flight included), beyond what EC2 shows. */
  readonly ledgerNumbersByEni: ReadonlyMap<string, readonly number[]>;
  /** The configured pool plus allowed override targets, described. */
  readonly targets: readonly TargetFacts[];
  /** Distinct sources per target id, from the ledger. */
  readonly targetLoads: ReadonlyMap<string, number>;
  /** When the facts were read: an end-time tag is judged against it. Absent: end-time tags are not judged. */
  readonly now?: Date;
}

/** The part of the configuration planning depends on (see shared/config). */
export interface PlanSettings {
  readonly tagKey: string;
  readonly tagValue: string;
  readonly poolTargetIds: readonly string[];
  readonly filterId: string;
  readonly eniScope: EniScope;
  readonly preferredSessionNumber: number;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
  /** Per-instance override tags, and what they may name. */
  readonly targetOverrideTagKey: string;
  readonly filterOverrideTagKey: string;
  readonly allowedOverrideTargetIds: readonly string[];
  readonly allowedOverrideFilterIds: readonly string[];
  /** Type-support overrides on top of the built-in tables (exact types or families like 'm6i'). */
  readonly extraSupportedTypes: readonly string[];
  readonly extraUnsupportedTypes: readonly string[];
  /** The tag whose ISO-8601 UTC value ends an instance's mirroring (MIRROR_UNTIL_TAG_KEY); absent: no windows. */
  readonly untilTagKey?: string;
}
