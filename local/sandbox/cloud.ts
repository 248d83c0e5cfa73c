/**
 * The sandbox's view of the local cloud (local/cloud startLocalCloud: one source of truth for the table, the
 * rules, the functions and their environment): what the runner needs, named for what it is used for.
 */

import type { SimulatorOptions, SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import type { EventEnvelope, LambdaLogLine } from '@vpc-mirror-orchestrator/local-lambda';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { type LocalCloud, startLocalCloud } from '../cloud';
import { type MirrorWorld, worldFromSnapshot } from '../oracle';
import type { DeadLetterReport } from './summary';

export interface SandboxCloud {
  readonly region: string;
  readonly accountId: string;
  readonly ec2Endpoint: string;
  readonly dynamodbEndpoint: string;
  readonly ledgerTableName: string;
  /** The functions' opt-in tag and owner id, as serverless.yml sets them. */
  readonly tagKey: string;
  readonly tagValue: string;
  readonly targetTagKey: string;
  readonly untilTagKey: string;
  readonly ownerId: string;
  deployFunctions(configuration: Readonly<Record<string, string>>): Promise<void>;
  /** Bounded wait until the simulator, the bus and every function are quiet; throws when it times out. */
  settle(timeoutMs: number): Promise<void>;
  /** Fires the function's schedule with a Scheduled Event, as EventBridge Scheduler would (async invoke). */
  invokeScheduled(functionKey: string): Promise<void>;
  /** EC2's world: the default account's; with an organization, every account and Region's together. */
  world(): Promise<MirrorWorld>;
  /** One account's world in one Region, as that account sees it (its own instances and sessions). */
  worldOf(scope: { readonly accountId: string; readonly region: string }): MirrorWorld;
  /** Shares a target of the security (default) account through AWS RAM with a member of its Region. */
  shareTarget(targetId: string, share: { readonly withAccountId: string; readonly region: string }): void;
  /** A member's spoke role, trusting only the given principals (deploy/spoke.yml's HubFunctionRoleArns). */
  addRole(roleArn: string, trustedPrincipals: readonly string[]): void;
  /**
   * Checked right after every CreateTrafficMirrorSession: ENIs seen holding two of our sessions at once, even if a
   * later converge removed one (the final state and the per-step checks cannot show that). And how many creates.
   */
  duplicatesSeen(): { readonly creates: number; readonly duplicates: readonly string[] };
  /** Puts a complete event on the default bus, as EventBridge itself would deliver it. */
  deliverEvent(event: EventEnvelope): void;
  /** Bus chaos: drop every delivery to the functions (true) or deliver normally (false). */
  loseEvents(lost: boolean): void;
  deadLetters(): DeadLetterReport[];
  /** The outcome events the functions put on the bus (attach, detach, refuse, detect). */
  outcomes(): readonly EventEnvelope[];
  stop(): Promise<void>;
}

export interface SandboxCloudOptions {
  readonly seed: number;
  readonly onHandlerLog: (functionName: string, line: string) => void;
  /**
   * Several accounts and Regions: who the access keys act as, and every (account, Region) the world is read from
   * (asked once the cloud runs: the Regions follow the stack's own).
   */
  readonly organization?: {
    readonly accessKeys: NonNullable<SimulatorOptions['accessKeys']>;
    readonly scopes: () => readonly { readonly accountId: string; readonly region: string }[];
  };
}

export async function startSandboxCloud(options: SandboxCloudOptions): Promise<SandboxCloud> {
  const cloud: LocalCloud = await startLocalCloud({
    ...(options.organization ? { ec2Events: 'service-events' as const } : {}),
    simulator: {
      seed: options.seed,
      transitionDelayMs: 20,
      ...(options.organization ? { accessKeys: options.organization.accessKeys } : {}),
    },
    // Two warm containers per event function are enough to show them racing on one instance (the ledger's job)
    // without paying for more cold starts than a two-core machine can absorb; the sweep keeps the stack's 1.
    reservedConcurrency: { instanceEvents: 4, cloudtrailTags: 1, sweep: 1 },
    logSink: (line: LambdaLogLine) => options.onHandlerLog(line.functionName, line.line),
  });
  const simulator = cloud.simulator;
  if (!simulator || !cloud.ec2Endpoint) {
    await cloud.stop();
    throw new Error('the local cloud started without its EC2 simulator');
  }
  const environment = cloud.stack.functions[0]?.environment ?? {};
  const setting = (name: string, fallback?: string): string => {
    const value = environment[name] || fallback;
    if (!value) throw new Error(`serverless.yml gives the functions no ${name}`);
    return value;
  };
  const ownerId = setting('MIRROR_OWNER_ID');
  const scopes = options.organization?.scopes;
  // Sessions live in the account and Region of their source ENI: with an organization, look in every one.
  const snapshots = (): SimulatorSnapshot[] => (scopes ? scopes().map((scope) => simulator.snapshot(scope)) : [simulator.snapshot()]);
  let creates = 0;
  const duplicates: string[] = [];
  // The hook must never throw: a throwing hook would turn EC2's answer into an error the product then handles.
  simulator.hook('CreateTrafficMirrorSession', 'after', (params) => {
    creates += 1;
    const eniId = params.NetworkInterfaceId;
    const ours = snapshots()
      .flatMap((snapshot) => snapshot.sessions)
      .filter((session) => session.networkInterfaceId === eniId && session.tags[OWNER_TAG] === ownerId);
    if (ours.length > 1) duplicates.push(`${eniId} held ${ours.length} managed sessions at once`);
  });
  return {
    region: cloud.region,
    accountId: cloud.accountId,
    ec2Endpoint: cloud.ec2Endpoint,
    dynamodbEndpoint: cloud.dynamodbEndpoint,
    ledgerTableName: cloud.tableName,
    tagKey: setting('MIRROR_TAG_KEY', 'traffic-mirror'),
    tagValue: setting('MIRROR_TAG_VALUE', 'true'),
    targetTagKey: setting('MIRROR_TARGET_TAG_KEY', 'traffic-mirror-target'),
    untilTagKey: setting('MIRROR_UNTIL_TAG_KEY', 'traffic-mirror-until'),
    ownerId,
    async deployFunctions(configuration) {
      await cloud.deployFunctions(configuration);
      // Without a route from EC2's events to a function the story would play to nobody: say so instead.
      const routed = cloud.bus.rules().filter((rule) => rule.enabled !== false);
      if (routed.length === 0) {
        throw new Error(
          `the local cloud routes no EventBridge rule to a function: it does not understand how ${cloud.stack.file} ` +
            'wires events to the handlers (local/cloud/stack.ts reads functions.<name>.events[].eventBridge)',
        );
      }
    },
    async settle(timeoutMs) {
      if (!(await cloud.settle(timeoutMs))) throw new Error(`the local cloud did not settle within ${timeoutMs} ms`);
    },
    async invokeScheduled(functionKey) {
      // Not awaited: the invocation is async, as EventBridge makes it; settle() waits for it, bounded.
      void cloud.runSchedule(functionKey);
    },
    duplicatesSeen() {
      return { creates, duplicates: [...duplicates] };
    },
    deliverEvent(event) {
      cloud.bus.put(event);
    },
    loseEvents(lost) {
      cloud.bus.setChaos(lost ? { seed: options.seed, dropRate: 1 } : undefined);
    },
    async world() {
      return worldFromSnapshot(mergeSnapshots(snapshots()));
    },
    worldOf(scope) {
      return worldFromSnapshot(simulator.snapshot(scope));
    },
    shareTarget(targetId, share) {
      simulator.shareTarget(targetId, share);
    },
    addRole(roleArn, trustedPrincipals) {
      simulator.addRole(roleArn, { trustedPrincipals });
    },
    deadLetters() {
      return cloud.deadLetters.entries().map((letter) => {
        const payload = letter.record.requestPayload as { id?: unknown } | undefined;
        return {
          kind: letter.kind,
          functionName: letter.functionKey,
          ...(typeof payload?.id === 'string' ? { eventId: payload.id } : {}),
          error: `${letter.record.responsePayload.errorType}: ${letter.record.responsePayload.errorMessage}`,
        };
      });
    },
    outcomes: () => cloud.bus.outcomes(),
    stop: () => cloud.stop(),
  };
}

/** ENI, instance and resource ids are unique across accounts and Regions, so the worlds add up into one. */
function mergeSnapshots(snapshots: readonly SimulatorSnapshot[]): SimulatorSnapshot {
  const [first, ...rest] = snapshots;
  if (!first) throw new Error('no snapshot to merge');
  return rest.reduce<SimulatorSnapshot>(
    (merged, next) => ({
      instances: [...merged.instances, ...next.instances],
      networkInterfaces: [...merged.networkInterfaces, ...next.networkInterfaces],
      targets: [...merged.targets, ...next.targets],
      filters: [...merged.filters, ...next.filters],
      sessions: [...merged.sessions, ...next.sessions],
      subnets: [...merged.subnets, ...next.subnets],
    }),
    first,
  );
}
