/**
 * Plays the scenario on the local cloud: sets the stage (targets, filter, pre-existing instances, hand-made
 * sessions), deploys the functions with that configuration, plays the story step by step, waiting for the system
 * to settle between steps, then reads the final state and checks the invariants.
 */
import { buildScenario, type Scenario, type StoryAction, type StoryStep } from './scenario';
import { FleetDriver } from './fleet';
import { parseLogLine, type DecisionRecord, type OtherLogEntry } from './decisions';
import { checkInvariants, type InvariantOptions, type InvariantReport, type MirrorWorld, type WorldSession } from './invariants';
import { describeInstances, describeTargets, type DeadLetterReport, type HistoryEntry, type SandboxSummary, type StepCheck } from './summary';
import { readHistory } from './history';
import { startSandboxCloud, type SandboxCloud } from './cloud';
import { OWNER_TAG as OWNER_TAG_KEY } from '../../shared/aws/ownership';


/** The ownership tag pinned in docs/ARCHITECTURE.md, re-exported for the sandbox's callers. */
export { OWNER_TAG_KEY };
/** An NLB target ARN: load balancer targets take any number of sources. */
const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/capture/0123456789abcdef';
const SECOPS_NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/secops/fedcba9876543210';

/** Generous: a cold start under tsx on a busy two-core machine takes seconds; an idle one settles in well under 1 s. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 45_000;

export interface SandboxOptions {
  readonly instances?: number;
  readonly seed?: number;
  /** Filled as instances are launched and targets created, for the renderer's labels. */
  readonly names?: Map<string, string>;
  readonly targetLabels?: Map<string, string>;
  readonly onBanner?: (text: string) => void;
  readonly onStep?: (index: number, total: number, step: StoryStep) => void;
  readonly onDecision?: (decision: DecisionRecord) => void;
  readonly onLogEntry?: (entry: OtherLogEntry) => void;
  readonly onNote?: (text: string) => void;
  /** The invariants after each step has settled. */
  readonly onStepChecked?: (report: InvariantReport) => void;
  /** Upper bound for each wait for the system to settle. */
  readonly settleTimeoutMs?: number;
}

export interface SandboxRun {
  readonly scenario: Scenario;
  readonly summary: SandboxSummary;
  /** The final EC2 state (from the simulator's snapshot) and the ledger's history, for tests and tools. */
  readonly world: MirrorWorld;
  readonly history: readonly HistoryEntry[];
  /** Name -> instance id, target label -> id. */
  readonly instanceIds: ReadonlyMap<string, string>;
  readonly poolTargetIds: readonly string[];
}

export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxRun> {
  const started = performance.now();
  const scenario = buildScenario({
    ...(options.instances !== undefined ? { instances: options.instances } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const names = options.names ?? new Map<string, string>();
  const targetLabels = options.targetLabels ?? new Map<string, string>();
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
  });
  const settle = (): Promise<void> => cloud.settle(options.settleTimeoutMs ?? DEFAULT_SETTLE_TIMEOUT_MS);

  try {
    options.onBanner?.(
      `vpc-mirror-orchestrator sandbox: ${scenario.fleet.length} instances over ${cloud.region}a/b, seed ${scenario.seed}`,
    );
    // The stage: what exists before the orchestrator is deployed.
    const preexisting = [...scenario.targetHosts, ...scenario.fleet.filter((instance) => instance.preexisting)];
    await driver.launch(preexisting);
    for (const [name, launched] of driver.launched) names.set(launched.instanceId, name);
    await settle();
    const interfaceTargets = await Promise.all(scenario.targetHosts.map((host) => driver.createInterfaceTarget(host.name)));
    const nlbTarget = await driver.createLoadBalancerTarget(NLB_ARN);
    const secopsTarget = await driver.createLoadBalancerTarget(SECOPS_NLB_ARN);
    const filterId = await driver.createFilter();
    scenario.targetHosts.forEach((host, index) => targetLabels.set(interfaceTargets[index] as string, host.name));
    targetLabels.set(nlbTarget, 'nlb');
    targetLabels.set(secopsTarget, 'secops-nlb');
    for (const instance of scenario.fleet.filter((spec) => spec.handMadeSessions > 0)) {
      await driver.createHandMadeSessions(instance.name, instance.handMadeSessions, secopsTarget, filterId);
    }
    const poolTargetIds = [...interfaceTargets, nlbTarget];
    note(`targets ${poolTargetIds.map((id) => `${targetLabels.get(id)}=${id}`).join(', ')}; filter ${filterId}`);
    note(`hand-made: ${scenario.fleet.filter((s) => s.handMadeSessions > 0).map((s) => `${s.name} eth0 x${s.handMadeSessions}`).join(', ')}`);

    await cloud.deployFunctions({ MIRROR_TARGET_IDS: poolTargetIds.join(','), MIRROR_FILTER_ID: filterId });
    const handMadeBaseline = (await cloud.world()).sessions.filter((session) => !isOurs(session, cloud.ownerId));

    const invariantOptions: InvariantOptions = {
      ownerTagKey: OWNER_TAG_KEY,
      ownerId: cloud.ownerId,
      tagKey: cloud.tagKey,
      tagValue: cloud.tagValue,
      poolTargetIds,
      handMadeBaseline,
    };
    const stepChecks: StepCheck[] = [];
    for (const [index, step] of scenario.story.entries()) {
      options.onStep?.(index + 1, scenario.story.length, step);
      for (const action of step.actions) await perform(action, { driver, cloud, scenario, note, settle });
      for (const [name, launched] of driver.launched) names.set(launched.instanceId, name);
      await settle();
      const check = checkInvariants(await cloud.world(), invariantOptions);
      stepChecks.push({ step: index + 1, title: step.title, violations: check.violations });
      options.onStepChecked?.(check);
    }

    const world = await cloud.world();
    const launched = [...driver.launched.values()].filter((instance) => instance.role !== 'target-host');
    const history = await readHistory(
      { endpoint: cloud.dynamodbEndpoint, region: cloud.region, tableName: cloud.ledgerTableName },
      launched.map((instance) => instance.instanceId),
    );
    const invariants = checkInvariants(world, invariantOptions);
    const targetZones = new Map(
      scenario.targetHosts.map((host, index) => [interfaceTargets[index] as string, driver.zoneName(host.zone)]),
    );
    const summary: SandboxSummary = {
      ok: invariants.ok && stepChecks.every((check) => check.violations.length === 0),
      seed: scenario.seed,
      instances: describeInstances({
        launched,
        world,
        tagKey: cloud.tagKey,
        tagValue: cloud.tagValue,
        isManaged: (tags) => tags[OWNER_TAG_KEY] === cloud.ownerId,
        decisions,
        history,
      }),
      targets: describeTargets(world, targetLabels, targetZones),
      decisions,
      deadLetters: cloud.deadLetters(),
      invariants,
      stepChecks,
      durationMs: performance.now() - started,
    };
    const instanceIds = new Map([...driver.launched.values()].map((instance) => [instance.name, instance.instanceId]));
    return { scenario, summary, world, history, instanceIds, poolTargetIds };
  } finally {
    driver.close();
    await cloud.stop();
  }
}

function isOurs(session: WorldSession, ownerId: string): boolean {
  return session.tags[OWNER_TAG_KEY] === ownerId;
}

interface StoryHands {
  readonly driver: FleetDriver;
  readonly cloud: SandboxCloud;
  readonly scenario: Scenario;
  readonly note: (text: string) => void;
  readonly settle: () => Promise<void>;
}

async function perform(action: StoryAction, { driver, cloud, scenario, note, settle }: StoryHands): Promise<void> {
  switch (action.kind) {
    case 'launch': {
      const specs = scenario.fleet.filter((spec) => action.names.includes(spec.name));
      await driver.launch(specs);
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
    case 'sweep':
      note('EventBridge Scheduler fires the sweep');
      await cloud.invokeScheduled('sweep');
      return;
  }
}

export type { DeadLetterReport };
