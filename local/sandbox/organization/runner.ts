/**
 * Plays the organization story (./scenario.ts) on the local cloud: the hub (the stack's real handlers) in the
 * security account, reading the organization document from SSM and assuming each member's spoke role through STS;
 * every account's fleet in every Region launched through the real EC2 SDK with that account's keys. After each step
 * the invariants are checked on all the worlds together (ids are unique across accounts), with the ENIs of the
 * account whose spoke role is missing expected unmirrored; at the end, that the hub reported that account.
 */
import { OWNER_TAG } from '../../../shared/aws/ownership';
import { DEFAULT_ACCOUNT } from '../../cloud/synthetic-events';
import { checkInvariants, computeEligibleEnis, type InvariantOptions, type MirrorWorld } from '../../oracle';
import { type SandboxCloud, startSandboxCloud } from '../cloud';
import { type DecisionRecord, type OtherLogEntry, parseLogLine } from '../decisions';
import { FleetDriver } from '../fleet';
import { readHistory } from '../history';
import type { SandboxOptions } from '../runner';
import type { InstanceSpec } from '../scenario';
import { describeInstances, describeTargets, type SandboxSummary, type StepCheck } from '../summary';
import { type AccountReport, reportAccounts } from './report';
import {
  buildOrganizationScenario,
  MEMBER_ACCOUNT_IDS,
  type OrganizationAction,
  type OrganizationScenario,
  type ScopedInstanceSpec,
} from './scenario';
import { hubFunctionRoleArn, ORGANIZATION_PARAMETER, type OrganizationStage, operatorKey, setOrganizationStage } from './stage';

const SETTLE_TIMEOUT_MS = 45_000;
/** The functions' access key in the local cloud (local/cloud/index.ts): it acts as the hub's function role. */
const FUNCTIONS_ACCESS_KEY = 'local';

export interface OrganizationSandboxOptions extends Omit<SandboxOptions, 'instances'> {
  readonly accounts: number;
  readonly regions: number;
}

export interface OrganizationRun {
  readonly scenario: OrganizationScenario;
  readonly stage: OrganizationStage;
  readonly summary: SandboxSummary;
  readonly world: MirrorWorld;
  /** Each account's world in each Region (key `<account>/<region>`), as that account sees it. */
  readonly worlds: ReadonlyMap<string, MirrorWorld>;
  /** Instance name -> id. */
  readonly instanceIds: ReadonlyMap<string, string>;
}

export async function runOrganizationSandbox(options: OrganizationSandboxOptions): Promise<OrganizationRun> {
  const started = performance.now();
  const seed = options.seed ?? 1;
  const names = options.names ?? new Map<string, string>();
  const targetLabels = options.targetLabels ?? new Map<string, string>();
  const note = options.onNote ?? (() => undefined);
  const decisions: DecisionRecord[] = [];
  const logEntries: OtherLogEntry[] = [];
  let scenario: OrganizationScenario | undefined;
  const securityAccountId = DEFAULT_ACCOUNT;

  const cloud = await startSandboxCloud({
    seed,
    onHandlerLog: (functionName, line) => {
      const parsed = parseLogLine(line, functionName);
      if (parsed.kind === 'decision') {
        decisions.push(parsed.decision);
        options.onDecision?.(parsed.decision);
      } else if (parsed.kind === 'other') {
        logEntries.push(parsed.entry);
        options.onLogEntry?.(parsed.entry);
      }
    },
    organization: {
      accessKeys: {
        [FUNCTIONS_ACCESS_KEY]: { accountId: securityAccountId, principalArn: hubFunctionRoleArn(securityAccountId) },
        ...Object.fromEntries(MEMBER_ACCOUNT_IDS.map((accountId) => [`sandbox-${accountId}`, accountId])),
      },
      scopes: () =>
        scenario ? scenario.accounts.flatMap((a) => scenario?.regions.map((region) => ({ accountId: a.accountId, region })) ?? []) : [],
    },
  });
  scenario = buildOrganizationScenario({
    accounts: options.accounts,
    regions: options.regions,
    securityAccountId,
    homeRegion: cloud.region,
  });
  const story = scenario;
  const drivers = new Map<string, FleetDriver>();
  const driverFor = (accountId: string, region: string): FleetDriver => {
    const key = `${accountId}/${region}`;
    const account = story.accounts.find((candidate) => candidate.accountId === accountId);
    if (!account) throw new Error(`account ${accountId} is not in the organization`);
    const existing = drivers.get(key);
    if (existing) return existing;
    const driver = new FleetDriver({
      endpoint: cloud.ec2Endpoint,
      region,
      tagKey: cloud.tagKey,
      tagValue: cloud.tagValue,
      targetTagKey: cloud.targetTagKey,
      untilTagKey: cloud.untilTagKey,
      accessKeyId: operatorKey(account),
    });
    drivers.set(key, driver);
    return driver;
  };
  const settle = (): Promise<void> => cloud.settle(SETTLE_TIMEOUT_MS);

  try {
    options.onBanner?.(
      `vpc-mirror-orchestrator sandbox, organization: ${story.accounts.length} accounts x ${story.regions.length} Regions ` +
        `(${story.regions.join(', ')}), ${story.fleet.length} instances, seed ${seed}`,
    );
    for (const account of story.accounts) {
      const role = account.role === 'security' ? 'security account: runs the hub, its own spoke' : 'member';
      const spoke = account.role === 'member' ? (account.hasSpokeRole ? ', spoke role deployed' : ', spoke role MISSING') : '';
      note(`${account.label} = ${account.accountId} (${role}${spoke})`);
      if (account.role === 'member' && account.hasSpokeRole) {
        cloud.addRole(`arn:aws:iam::${account.accountId}:role/${story.spokeRoleName}`, [hubFunctionRoleArn(securityAccountId)]);
      }
    }
    const stage = await setOrganizationStage(story, cloud, driverFor, targetLabels);
    for (const region of stage.regions) {
      note(`${region.region}: shared targets ${region.targetIds.map((id) => `${targetLabels.get(id)}=${id}`).join(', ')}`);
    }
    note(`organization document in SSM ${ORGANIZATION_PARAMETER} (${cloud.region}, security account)`);
    await cloud.deployFunctions({
      MIRROR_ORGANIZATION_PARAMETER: ORGANIZATION_PARAMETER,
      ...homeConfiguration(stage, cloud, securityAccountId),
    });

    const deniedAccountIds = story.accounts.filter((account) => !account.hasSpokeRole).map((account) => account.accountId);
    const invariantOptions = (world: MirrorWorld): InvariantOptions => {
      const base: InvariantOptions = {
        ownerTagKey: OWNER_TAG,
        ownerId: cloud.ownerId,
        tagKey: cloud.tagKey,
        tagValue: cloud.tagValue,
        poolTargetIds: stage.regions.flatMap((region) => region.targetIds),
        handMadeBaseline: [],
      };
      // The oracle's eligibility, less the ENIs of the account the hub cannot enter: those must stay unmirrored.
      const unreachable = new Set(story.fleet.filter((spec) => deniedAccountIds.includes(spec.accountId)).map((spec) => spec.name));
      const unreachableEnis = new Set(
        [...drivers.values()].flatMap((driver) =>
          [...driver.launched.values()].filter((i) => unreachable.has(i.name)).flatMap((i) => i.eniIds),
        ),
      );
      return { ...base, eligibleEnis: [...computeEligibleEnis(world, base)].filter((eniId) => !unreachableEnis.has(eniId)) };
    };

    const stepChecks: StepCheck[] = [];
    for (const [index, step] of story.story.entries()) {
      options.onStep?.(index + 1, story.story.length, step);
      for (const action of step.actions) await perform(action, { story, cloud, driverFor, note, names });
      await settle();
      const world = await cloud.world();
      const check = checkInvariants(world, invariantOptions(world));
      stepChecks.push({ step: index + 1, title: step.title, violations: check.violations });
      options.onStepChecked?.(check);
    }

    const world = await cloud.world();
    const launched = [...drivers.values()].flatMap((driver) => [...driver.launched.values()]);
    const history = await readHistory(
      { endpoint: cloud.dynamodbEndpoint, region: cloud.region, tableName: cloud.ledgerTableName },
      launched.map((instance) => instance.instanceId),
    );
    const invariants = checkInvariants(world, invariantOptions(world));
    const deadLetters = cloud.deadLetters().map((letter) => ({ ...letter, expected: false }));
    const watched = cloud.duplicatesSeen();
    const accounts: AccountReport[] = reportAccounts({
      scenario: story,
      world,
      launched,
      decisions,
      logEntries,
      outcomes: cloud.outcomes(),
    });
    const summary: SandboxSummary = {
      ok:
        invariants.ok &&
        stepChecks.every((check) => check.violations.length === 0) &&
        deadLetters.length === 0 &&
        watched.duplicates.length === 0 &&
        accounts.every((account) => account.ok),
      seed,
      instances: describeInstances({
        launched,
        world,
        tagKey: cloud.tagKey,
        tagValue: cloud.tagValue,
        isManaged: (tags) => tags[OWNER_TAG] === cloud.ownerId,
        decisions,
        history,
      }),
      targets: describeTargets(world, targetLabels, new Map()),
      decisions,
      deadLetters,
      missingDeadLetters: [],
      invariants,
      stepChecks,
      createsWatched: watched.creates,
      transientDuplicates: watched.duplicates,
      durationMs: performance.now() - started,
      accounts,
    };
    const instanceIds = new Map(launched.map((instance) => [instance.name, instance.instanceId]));
    const worlds = new Map(
      story.accounts.flatMap((account) =>
        story.regions.map((region) => [`${account.accountId}/${region}`, cloud.worldOf({ accountId: account.accountId, region })] as const),
      ),
    );
    return { scenario: story, stage, summary, world, worlds, instanceIds };
  } finally {
    for (const driver of drivers.values()) driver.close();
    await cloud.stop();
  }
}

/**
 * The flat settings of the hub's own account and Region, as a single-account deployment has them: the stack
 * requires them, and with the organization document set the hub takes the document's (docs/DEPLOY.md).
 */
function homeConfiguration(stage: OrganizationStage, cloud: SandboxCloud, securityAccountId: string): Record<string, string> {
  const home = stage.regions.find((region) => region.region === cloud.region);
  const filterId = home?.filterIdByAccount.get(securityAccountId);
  if (!home || !filterId) throw new Error(`the hub's Region ${cloud.region} has no stage`);
  return { MIRROR_TARGET_IDS: home.targetIds.join(','), MIRROR_FILTER_ID: filterId };
}

interface Hands {
  readonly story: OrganizationScenario;
  readonly cloud: SandboxCloud;
  readonly driverFor: (accountId: string, region: string) => FleetDriver;
  readonly note: (text: string) => void;
  readonly names: Map<string, string>;
}

async function perform(action: OrganizationAction, { story, cloud, driverFor, note, names }: Hands): Promise<void> {
  switch (action.kind) {
    case 'launch': {
      for (const account of story.accounts) {
        for (const region of story.regions) {
          const driver = driverFor(account.accountId, region);
          const specs = story.fleet.filter((spec) => spec.accountId === account.accountId && spec.region === region);
          await driver.launch(specs.map(asInstanceSpec));
          for (const launched of driver.launched.values()) names.set(launched.instanceId, launched.name);
        }
      }
      note(`launched ${story.fleet.length} instances in ${story.accounts.length * story.regions.length} accounts x Regions`);
      return;
    }
    case 'untag':
      for (const name of action.names) {
        const spec = story.fleet.find((candidate) => candidate.name === name);
        if (!spec) throw new Error(`the story names ${name}, which is not in the fleet`);
        await driverFor(spec.accountId, spec.region).untag([name]);
      }
      return;
    case 'sweep':
      note('EventBridge Scheduler fires the sweep');
      await cloud.invokeScheduled('sweep');
      return;
  }
}

/** The fleet driver's view of an instance: launched during the story, no hand-made sessions. */
function asInstanceSpec(spec: ScopedInstanceSpec): InstanceSpec {
  return {
    name: spec.name,
    role: spec.role,
    instanceType: spec.instanceType,
    zone: spec.zone,
    eniCount: spec.eniCount,
    taggedAtLaunch: spec.taggedAtLaunch,
    preexisting: false,
    handMadeSessions: 0,
  };
}
