/**
 * Plays the scenario on the local cloud: sets the stage (targets, filter, pre-existing instances, hand-made
 * sessions), deploys the functions with that configuration, plays the story step by step, waiting for the system
 * to settle between steps, then reads the final state and checks the invariants.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@vpc-mirror-orchestrator/local-lambda';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { checkInvariants, type InvariantOptions, type InvariantReport, type MirrorWorld } from '../oracle';
import { type SandboxCloud, startSandboxCloud } from './cloud';
import { type DecisionRecord, type OtherLogEntry, parseLogLine } from './decisions';
import { FleetDriver } from './fleet';
import { readHistory } from './history';
import { buildScenario, type Scenario, type StoryAction, type StoryStep, type TargetLabel } from './scenario';
import { describeInstances, describeTargets, type HistoryEntry, type SandboxSummary, type StepCheck } from './summary';

/** Generous: a cold start under tsx on a busy two-core machine takes seconds; an idle one settles in well under 1 s. */
const SETTLE_TIMEOUT_MS = 45_000;

export interface SandboxOptions {
  readonly instances?: number;
  readonly seed?: number;
  /** Filled as instances are launched and targets created, for the renderer's labels. */
  readonly names?: Map<string, string>;
  readonly targetLabels?: Map<string, string>;
  readonly onBanner?: (text: string) => void;
  readonly onStep?: (index: number, total: number, step: Pick<StoryStep, 'title' | 'expect'>) => void;
  readonly onDecision?: (decision: DecisionRecord) => void;
  readonly onLogEntry?: (entry: OtherLogEntry) => void;
  readonly onNote?: (text: string) => void;
  /** The invariants after each step has settled. */
  readonly onStepChecked?: (report: InvariantReport) => void;
}

export interface SandboxRun {
  readonly scenario: Scenario;
  readonly summary: SandboxSummary;
  /** The final EC2 state (from the simulator's snapshot) and the ledger's history, for tests and tools. */
  readonly world: MirrorWorld;
  readonly history: readonly HistoryEntry[];
  /** Instance name -> id; target label (ids-1, nlb, secops-nlb) -> id; the configured target pool. */
  readonly instanceIds: ReadonlyMap<string, string>;
  readonly targetIds: ReadonlyMap<string, string>;
  readonly poolTargetIds: readonly string[];
}

export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxRun> {
  const started = performance.now();
  const scenario = buildScenario({
    ...(options.instances !== undefined ? { instances: options.instances } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const labels: Labels = { names: options.names ?? new Map(), targets: options.targetLabels ?? new Map() };
  const note = options.onNote ?? (() => undefined);
  const decisions: DecisionRecord[] = [];

  const cloud = await startSandboxCloud({
    seed: scenario.seed,
    onHandlerLog: (functionName, line) => {
      const parsed = parseLogLine(line, functionName);
      if (parsed.kind === 'decision') {
        decisions.push(parsed.decision);
        options.onDecision?.(parsed.decision);
      } else if (parsed.kind === 'other') {
        options.onLogEntry?.(parsed.entry);
      }
    },
  });
  const driver = new FleetDriver({
    endpoint: cloud.ec2Endpoint,
    region: cloud.region,
    tagKey: cloud.tagKey,
    tagValue: cloud.tagValue,
    targetTagKey: cloud.targetTagKey,
    untilTagKey: cloud.untilTagKey,
  });
  const settle = (): Promise<void> => cloud.settle(SETTLE_TIMEOUT_MS);
  const hands: StoryHands = { driver, cloud, scenario, note, settle, doomedEventIds: [] };

  try {
    options.onBanner?.(
      `vpc-mirror-orchestrator sandbox: ${scenario.fleet.length} instances over ${cloud.region}a/b, seed ${scenario.seed}`,
    );
    const stage = await setStage(hands, labels);
    await cloud.deployFunctions({ MIRROR_TARGET_IDS: stage.poolTargetIds.join(','), MIRROR_FILTER_ID: stage.filterId });
    const invariantOptions: InvariantOptions = {
      ownerTagKey: OWNER_TAG,
      ownerId: cloud.ownerId,
      tagKey: cloud.tagKey,
      tagValue: cloud.tagValue,
      poolTargetIds: stage.poolTargetIds,
      // The stack configures no MIRROR_ALLOWED_TARGET_IDS: overrides may name pool targets only.
      targetOverride: { tagKey: cloud.targetTagKey, allowedTargetIds: stage.poolTargetIds },
      untilTagKey: cloud.untilTagKey,
      // Read once the stage is set, before any event reached a function.
      handMadeBaseline: (await cloud.world()).sessions.filter((session) => session.tags[OWNER_TAG] !== cloud.ownerId),
    };
    const stepChecks = await playStory(
      { ...hands, targetsByLabel: stage.targetsByLabel, filterId: stage.filterId },
      labels,
      invariantOptions,
      options,
    );

    const world = await cloud.world();
    const launched = [...driver.launched.values()].filter((instance) => instance.role !== 'target-host');
    const history = await readHistory(
      { endpoint: cloud.dynamodbEndpoint, region: cloud.region, tableName: cloud.ledgerTableName },
      launched.map((instance) => instance.instanceId),
    );
    const invariants = checkInvariants(world, invariantOptions);
    const deadLetters = cloud.deadLetters().map((letter) => ({
      ...letter,
      expected: letter.eventId !== undefined && hands.doomedEventIds.includes(letter.eventId),
    }));
    const missingDeadLetters = hands.doomedEventIds.filter((id) => !deadLetters.some((letter) => letter.eventId === id));
    const watched = cloud.duplicatesSeen();
    const summary: SandboxSummary = {
      ok:
        invariants.ok &&
        stepChecks.every((check) => check.violations.length === 0) &&
        deadLetters.every((letter) => letter.expected) &&
        missingDeadLetters.length === 0 &&
        watched.duplicates.length === 0,
      seed: scenario.seed,
      instances: describeInstances({
        launched,
        world,
        tagKey: cloud.tagKey,
        tagValue: cloud.tagValue,
        isManaged: (tags) => tags[OWNER_TAG] === cloud.ownerId,
        decisions,
        history,
      }),
      targets: describeTargets(world, labels.targets, stage.targetZones),
      decisions,
      deadLetters,
      missingDeadLetters,
      invariants,
      stepChecks,
      createsWatched: watched.creates,
      transientDuplicates: watched.duplicates,
      durationMs: performance.now() - started,
    };
    const instanceIds = new Map([...driver.launched.values()].map((instance) => [instance.name, instance.instanceId]));
    const targetIds = new Map([...labels.targets].map(([targetId, label]) => [label, targetId]));
    return { scenario, summary, world, history, instanceIds, targetIds, poolTargetIds: stage.poolTargetIds };
  } finally {
    driver.close();
    await cloud.stop();
  }
}

interface Labels {
  /** instance id -> name */
  readonly names: Map<string, string>;
  /** target id -> label */
  readonly targets: Map<string, string>;
}

interface Stage {
  readonly poolTargetIds: readonly string[];
  /** The load balancer targets by the labels override tags use. */
  readonly targetsByLabel: ReadonlyMap<TargetLabel, string>;
  readonly filterId: string;
  /** Zone of each network-interface target. */
  readonly targetZones: ReadonlyMap<string, string>;
}

/** What exists before the orchestrator is deployed: target hosts, targets, the filter, hand-made sessions. */
async function setStage({ driver, cloud, scenario, note, settle }: StoryHands, labels: Labels): Promise<Stage> {
  await driver.launch([...scenario.targetHosts, ...scenario.fleet.filter((instance) => instance.preexisting)]);
  for (const [name, launched] of driver.launched) labels.names.set(launched.instanceId, name);
  await settle();
  const interfaceTargets = await Promise.all(scenario.targetHosts.map((host) => driver.createInterfaceTarget(host.name)));
  const nlbTarget = await driver.createLoadBalancerTarget(loadBalancerArn(cloud, 'capture', '0123456789abcdef'));
  const secopsTarget = await driver.createLoadBalancerTarget(loadBalancerArn(cloud, 'secops', 'fedcba9876543210'));
  const filterId = await driver.createFilter();
  for (const [index, host] of scenario.targetHosts.entries()) labels.targets.set(interfaceTargets[index] as string, host.name);
  labels.targets.set(nlbTarget, 'nlb');
  labels.targets.set(secopsTarget, 'secops-nlb');
  const crowded = scenario.fleet.filter((spec) => spec.handMadeSessions > 0);
  for (const instance of crowded) {
    await driver.createHandMadeSessions(instance.name, instance.handMadeSessions, secopsTarget, filterId);
  }
  const poolTargetIds = [...interfaceTargets, nlbTarget];
  note(`targets ${poolTargetIds.map((id) => `${labels.targets.get(id)}=${id}`).join(', ')}; filter ${filterId}`);
  note(`hand-made: ${crowded.map((spec) => `${spec.name} eth0 x${spec.handMadeSessions}`).join(', ')}`);
  const targetZones = new Map(scenario.targetHosts.map((host, index) => [interfaceTargets[index] as string, driver.zoneName(host.zone)]));
  const targetsByLabel = new Map<TargetLabel, string>([
    ['nlb', nlbTarget],
    ['secops-nlb', secopsTarget],
  ]);
  return { poolTargetIds, targetsByLabel, filterId, targetZones };
}

/** Each step: act, wait for the system to settle, check the invariants on what EC2 now holds. */
async function playStory(
  hands: StoryHands,
  labels: Labels,
  invariantOptions: InvariantOptions,
  options: SandboxOptions,
): Promise<StepCheck[]> {
  const { scenario, driver, cloud, settle } = hands;
  const stepChecks: StepCheck[] = [];
  for (const [index, step] of scenario.story.entries()) {
    options.onStep?.(index + 1, scenario.story.length, step);
    for (const action of step.actions) await perform(action, hands);
    for (const [name, launched] of driver.launched) labels.names.set(launched.instanceId, name);
    await settle();
    const check = checkInvariants(await cloud.world(), invariantOptions);
    stepChecks.push({ step: index + 1, title: step.title, violations: check.violations });
    options.onStepChecked?.(check);
  }
  return stepChecks;
}

function malformedStateChange(cloud: SandboxCloud): EventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: cloud.accountId,
    time: `${new Date().toISOString().slice(0, 19)}Z`,
    region: cloud.region,
    resources: [],
    detail: { state: 'running' },
  };
}

/** Load balancer targets only need an ARN: nothing else of the load balancer exists in the simulator. */
function loadBalancerArn(cloud: SandboxCloud, name: string, suffix: string): string {
  return `arn:aws:elasticloadbalancing:${cloud.region}:${cloud.accountId}:loadbalancer/net/${name}/${suffix}`;
}

interface StoryHands {
  /** Ids of the events the story sends to end in the dead-letter queue. */
  readonly doomedEventIds: string[];
  /** Known once the stage is set. */
  readonly targetsByLabel?: ReadonlyMap<TargetLabel, string>;
  readonly filterId?: string;
  readonly driver: FleetDriver;
  readonly cloud: SandboxCloud;
  readonly scenario: Scenario;
  readonly note: (text: string) => void;
  readonly settle: () => Promise<void>;
}

async function perform(
  action: StoryAction,
  { driver, cloud, scenario, note, settle, targetsByLabel, filterId, doomedEventIds }: StoryHands,
): Promise<void> {
  switch (action.kind) {
    case 'launch': {
      const specs = scenario.fleet.filter((spec) => action.names.includes(spec.name));
      await driver.launch(specs, targetsByLabel);
      note(`launched ${specs.length} instances`);
      return;
    }
    case 'tag':
      return driver.tag(action.names);
    case 'untag':
      return driver.untag(action.names);
    case 'stop':
      return driver.stop(action.names);
    case 'start':
      return driver.start(action.names);
    case 'terminate':
      return driver.terminate(action.names);
    case 'lose-events':
      if (action.lost) {
        note('EventBridge starts losing events (best-effort delivery)');
        cloud.loseEvents(true);
      } else {
        await settle();
        cloud.loseEvents(false);
        note('EventBridge delivers again; the events in between are lost');
      }
      return;
    case 'malformed-event': {
      const event = malformedStateChange(cloud);
      note(`EventBridge delivers event ${event.id}: EC2 Instance State-change Notification without detail.instance-id`);
      doomedEventIds.push(event.id);
      cloud.deliverEvent(event);
      return;
    }
    case 'sweep':
      note('EventBridge Scheduler fires the sweep');
      await cloud.invokeScheduled('sweep');
      return;
    case 'rogue-session': {
      const targetId = targetsByLabel?.get(action.target);
      if (targetId === undefined || filterId === undefined) throw new Error(`no target labelled ${action.target}, or no filter yet`);
      const [session] = await driver.createHandMadeSessions(action.name, 1, targetId, filterId);
      note(`someone mirrors ${action.name} to ${action.target} by hand: ${session?.sessionId ?? '?'}`);
      return;
    }
    case 'tag-until': {
      const endsAt = new Date(Date.now() + action.seconds * 1000);
      note(`tag ${action.names.join(', ')} ${cloud.tagKey}=${cloud.tagValue} ${cloud.untilTagKey}=${endsAt.toISOString()}`);
      return driver.tagUntil(action.names, endsAt);
    }
    case 'window-tick':
      note('EventBridge Scheduler fires the window-end tick');
      await cloud.invokeScheduled('windowEnd');
      return;
  }
}
