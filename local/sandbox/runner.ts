/**
 * Plays the scenario on the local cloud: sets the stage (targets, filter, pre-existing instances, hand-made
 * sessions), deploys the functions with that configuration, plays the story step by step, waiting for the system
 * to settle between steps, then reads the final state and checks the invariants.
 */
import { buildScenario, type Scenario, type StoryAction, type StoryStep } from './scenario';
import { FleetDriver } from './fleet';
import { parseLogLine, type DecisionRecord, type OtherLogEntry } from './decisions';
import { checkInvariants, type WorldSession } from './invariants';
import { describeInstances, describeTargets, type DeadLetterReport, type SandboxSummary } from './summary';
import { readHistory } from './history';
import { startSandboxCloud, type SandboxCloud } from './cloud';

export const OWNER_TAG_KEY = 'vpc-mirror-orchestrator:owner';
/** An NLB target ARN: load balancer targets take any number of sources. */
const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/capture/0123456789abcdef';
const SECOPS_NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/net/secops/fedcba9876543210';

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
  /** Upper bound for each wait for the system to settle. */
  readonly settleTimeoutMs?: number;
}

export interface SandboxRun {
  readonly scenario: Scenario;
  readonly summary: SandboxSummary;
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
  const settle = (): Promise<void> => cloud.settle(options.settleTimeoutMs ?? 20_000);

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

    for (const [index, step] of scenario.story.entries()) {
      options.onStep?.(index + 1, scenario.story.length, step);
      for (const action of step.actions) await perform(action, { driver, cloud, scenario, note, settle });
      for (const [name, launched] of driver.launched) names.set(launched.instanceId, name);
      await settle();
    }

    const world = await cloud.world();
    const launched = [...driver.launched.values()].filter((instance) => instance.role !== 'target-host');
    const history = await readHistory(
      { endpoint: cloud.dynamodbEndpoint, region: cloud.region, tableName: cloud.ledgerTableName },
      launched.map((instance) => instance.instanceId),
    );
    const invariants = checkInvariants(world, {
      ownerTagKey: OWNER_TAG_KEY,
      ownerId: cloud.ownerId,
      tagKey: cloud.tagKey,
      tagValue: cloud.tagValue,
      poolTargetIds,
      handMadeBaseline,
    });
    const targetZones = new Map(
      scenario.targetHosts.map((host, index) => [interfaceTargets[index] as string, driver.zoneName(host.zone)]),
    );
    const summary: SandboxSummary = {
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
      durationMs: performance.now() - started,
    };
    return { scenario, summary };
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
