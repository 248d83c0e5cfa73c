/**
 * One organization burst on the local cloud: the hub (the stack's packaged handlers) in the security account, every
 * other account a member with a spoke role trusting only the hub's function role, the security account's load
 * balancer targets shared with all of them through RAM, each account's own filter, the organization document in
 * SSM. Then every account launches its share of the fleet at once, throttling on at EC2's rates (each account's
 * buckets its own), and convergence is watched over all the accounts' worlds in process.
 */
import os from 'node:os';
import path from 'node:path';
import { CreateTrafficMirrorFilterCommand, CreateTrafficMirrorTargetCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CallCount, Simulator, SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import { readStack, startLocalCloud } from '../../local/cloud';
import { DEFAULT_ACCOUNT } from '../../local/cloud/synthetic-events';
import { checkInvariants, computeEligibleEnis, type InvariantReport, type MirrorWorld, worldFromSnapshot } from '../../local/oracle';
import { SPOKE_ROLE_NAME } from '../../local/sandbox/organization/scenario';
import { hubFunctionRoleArn } from '../../local/sandbox/organization/stage';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { identityOf, invariantOptionsOf } from '../burst/identity';
import { prewarm } from '../burst/run';
import { benchEc2Client } from '../ec2-client';
import { burstRequests, launchBurst } from '../fleet/launch';
import type { BenchOptions } from '../options';
import { organizationLimitSeconds, planOrganization } from './plan';

const POLL_MS = 250;
const PROGRESS_EVERY_MS = 5_000;
const SETUP_SETTLE_MS = 120_000;
const SETTLE_AFTER_CONVERGENCE_MS = 60_000;
const INIT_TIMEOUT_MS = 120_000;
const PARAMETER = '/vpc-mirror-orchestrator/bench-organization';
/** The functions' access key in the local cloud: here it acts as the hub's function role. */
const FUNCTIONS_KEY = 'local';
const LOAD_BALANCER_TARGETS = 2;

export interface AccountFigures {
  readonly accountId: string;
  readonly expectedSessions: number;
  /** Seconds from the launch until this account's eligible ENIs were all mirrored; undefined: not within the wait. */
  readonly convergedSeconds: number | undefined;
  /** Calls the simulator admitted or refused in this account (its own buckets), the bench's RunInstances left out. */
  readonly mutatingCalls: number;
  readonly throttledCalls: number;
}

export interface OrganizationBurstMeasurement {
  readonly accounts: number;
  readonly instances: number;
  readonly expectedSessions: number;
  readonly mutatingShare: number;
  /** The slowest account's own limit at the hub's share (bench/org/plan.ts). */
  readonly limitSeconds: number;
  /** What one account would need for the whole fleet at its full budget: the organization's parallelism shows. */
  readonly singleAccountLimitSeconds: number;
  readonly convergedSeconds: number | undefined;
  readonly sessionsAtEnd: number;
  readonly perAccount: readonly AccountFigures[];
  readonly invariants: InvariantReport;
  readonly failedInvocations: number;
  readonly deadLetters: number;
  /** Records the hub put back on its queues because their account's budget was busy (shared/lambda/pacing-gate.ts). */
  readonly deferredRecords: number;
  readonly concurrency: Readonly<Record<string, number>>;
  readonly loadAverage: { readonly start: number; readonly end: number; readonly cores: number };
}

function mergedWorld(snapshots: readonly SimulatorSnapshot[]): MirrorWorld {
  const worlds = snapshots.map((snapshot) => worldFromSnapshot(snapshot));
  return {
    instances: worlds.flatMap((world) => world.instances),
    sessions: worlds.flatMap((world) => world.sessions),
    targets: worlds.flatMap((world) => world.targets),
  };
}

export async function runOrganizationBurstOnce(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<OrganizationBurstMeasurement> {
  const params = { queueMaximumConcurrency: String(options.concurrency) };
  const stack = readStack(path.join(root, 'serverless.yml'), { params });
  const plan = planOrganization({
    accounts: options.orgAccounts,
    instances: options.orgInstances,
    twoEniShare: options.twoEniShare,
    unsupportedShare: options.unsupportedShare,
    zones: 3,
    seed: options.seed,
    securityAccountId: DEFAULT_ACCOUNT,
  });
  const members = plan.accounts.slice(1);
  const keyOf = (accountId: string): string => (accountId === DEFAULT_ACCOUNT ? 'bench' : `bench-${accountId}`);
  const hubRoleArn = hubFunctionRoleArn(DEFAULT_ACCOUNT);
  const concurrency = Object.fromEntries(
    stack.functions.map((fn) => [fn.key, Math.min(fn.reservedConcurrency ?? options.concurrency, options.concurrency)]),
  );
  let failedInvocations = 0;
  log(`organization: ${plan.accounts.length} accounts, ${options.orgInstances} instances (${plan.expectedSessions} ENIs)`);
  const cloud = await startLocalCloud({
    rootDir: root,
    params,
    code: { kind: 'packaged', dir: packageDir },
    ec2Events: 'service-events',
    simulator: {
      seed: options.seed,
      accessKeys: {
        [FUNCTIONS_KEY]: { accountId: DEFAULT_ACCOUNT, principalArn: hubRoleArn },
        ...Object.fromEntries(members.map((member) => [keyOf(member.accountId), member.accountId])),
      },
      roles: members.map((member) => ({
        arn: `arn:aws:iam::${member.accountId}:role/${SPOKE_ROLE_NAME}`,
        trustedPrincipals: [hubRoleArn],
      })),
    },
    reservedConcurrency: concurrency,
    initTimeoutMs: INIT_TIMEOUT_MS,
    onInvocation: (report) => {
      if (!report.ok) failedInvocations += 1;
    },
  });
  const clients = new Map(plan.accounts.map((account) => [account.accountId, benchEc2Client(cloud, keyOf(account.accountId))]));
  const ec2Of = (accountId: string): EC2Client => clients.get(accountId) as EC2Client;
  try {
    const simulator = cloud.simulator as Simulator;
    const identity = identityOf(cloud);
    simulator.setThrottling({ enabled: false });

    // The security account's targets, shared with every member; a filter in every account (RAM shares no filters).
    const targetIds: string[] = [];
    for (let n = 0; n < LOAD_BALANCER_TARGETS; n++) {
      const arn = `arn:aws:elasticloadbalancing:${cloud.region}:${DEFAULT_ACCOUNT}:loadbalancer/net/org-nlb-${n}/${(0x50f1a0 + n).toString(16)}0000000000`;
      const made = await ec2Of(DEFAULT_ACCOUNT).send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn }));
      targetIds.push(made.TrafficMirrorTarget?.TrafficMirrorTargetId as string);
    }
    const gwlbe = await ec2Of(DEFAULT_ACCOUNT).send(
      new CreateTrafficMirrorTargetCommand({ GatewayLoadBalancerEndpointId: 'vpce-0a1b2c3d4e5f60718' }),
    );
    targetIds.push(gwlbe.TrafficMirrorTarget?.TrafficMirrorTargetId as string);
    for (const member of members) for (const targetId of targetIds) simulator.shareTarget(targetId, { withAccountId: member.accountId });
    const filterIds = new Map<string, string>();
    for (const account of plan.accounts) {
      const made = await ec2Of(account.accountId).send(new CreateTrafficMirrorFilterCommand({ Description: 'bench filter' }));
      filterIds.set(account.accountId, made.TrafficMirrorFilter?.TrafficMirrorFilterId as string);
    }
    const document = {
      spokeRoleName: SPOKE_ROLE_NAME,
      accounts: plan.accounts.map((account) => account.accountId),
      mutatingShare: options.orgShare,
      regions: {
        [cloud.region]: { targetIds, filterId: filterIds.get(DEFAULT_ACCOUNT), accountFilterIds: Object.fromEntries(filterIds) },
      },
    };
    const ssm = new SSMClient({
      endpoint: cloud.ec2Endpoint,
      region: cloud.region,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    await ssm.send(new PutParameterCommand({ Name: PARAMETER, Type: 'String', Value: JSON.stringify(document), Overwrite: true }));
    ssm.destroy();
    await cloud.deployFunctions({
      MIRROR_ORGANIZATION_PARAMETER: PARAMETER,
      MIRROR_TARGET_IDS: targetIds.join(','),
      MIRROR_FILTER_ID: filterIds.get(DEFAULT_ACCOUNT) as string,
    });
    if (!(await cloud.settle(SETUP_SETTLE_MS))) throw new Error(`the local cloud did not settle within ${SETUP_SETTLE_MS} ms after setup`);
    await prewarm(cloud, concurrency, log);

    const scopes = plan.accounts.map((account) => ({ accountId: account.accountId, region: cloud.region }));
    const eligibility = invariantOptionsOf(identity, targetIds);
    const limitSeconds = organizationLimitSeconds(
      plan.accounts.map((account) => account.plan.expectedSessions),
      options.orgShare,
    );
    simulator.resetCalls();
    simulator.setThrottling({ enabled: true, timeScale: 1 });
    const loadAtStart = os.loadavg()[0] ?? 0;
    const zones = [`${cloud.region}a`, `${cloud.region}b`, `${cloud.region}c`];
    log(
      `burst: ${options.orgInstances} instances over ${plan.accounts.length} accounts, limit ${limitSeconds.toFixed(1)} s at share ${options.orgShare}`,
    );
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    await Promise.all(
      plan.accounts.map((account) =>
        launchBurst(ec2Of(account.accountId), burstRequests(account.plan, zones, identity.tagKey, identity.tagValue)),
      ),
    );

    const convergedAt = new Map<string, number>();
    const timeoutMs = Math.max(options.convergeTimeoutSeconds, 3 * limitSeconds) * 1000;
    let convergedSeconds: number | undefined;
    let sessionsAtEnd = 0;
    let lastProgress = performance.now();
    for (;;) {
      let mirroredAll = 0;
      for (const account of plan.accounts) {
        const world = worldFromSnapshot(simulator.snapshot({ accountId: account.accountId }));
        const eligible = computeEligibleEnis(world, eligibility);
        const mirrored = new Set(
          world.sessions.filter((s) => s.tags[OWNER_TAG] === identity.ownerId && eligible.has(s.eniId)).map((s) => s.eniId),
        ).size;
        mirroredAll += mirrored;
        if (!convergedAt.has(account.accountId) && mirrored === account.plan.expectedSessions && eligible.size === mirrored) {
          convergedAt.set(account.accountId, seconds());
        }
      }
      sessionsAtEnd = mirroredAll;
      if (convergedAt.size === plan.accounts.length) {
        convergedSeconds = seconds();
        break;
      }
      if (seconds() * 1000 > timeoutMs) break;
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        log(
          `${seconds().toFixed(1)} s: ${mirroredAll}/${plan.expectedSessions} ENIs mirrored, ${convergedAt.size}/${plan.accounts.length} accounts done`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    log(
      convergedSeconds === undefined
        ? `not converged: ${sessionsAtEnd}/${plan.expectedSessions}`
        : `converged in ${convergedSeconds.toFixed(2)} s`,
    );
    await cloud.settle(SETTLE_AFTER_CONVERGENCE_MS);
    const world = mergedWorld(scopes.map((scope) => simulator.snapshot(scope)));
    const perAccount = plan.accounts.map((account): AccountFigures => {
      const calls = Object.entries(simulator.calls({ accountId: account.accountId })).filter(([action]) => action !== 'RunInstances');
      const mutating = calls.filter(([action]) => !action.startsWith('Describe'));
      return {
        accountId: account.accountId,
        expectedSessions: account.plan.expectedSessions,
        convergedSeconds: convergedAt.get(account.accountId),
        mutatingCalls: mutating.reduce((sum, [, count]: [string, CallCount]) => sum + count.total, 0),
        throttledCalls: calls.reduce((sum, [, count]: [string, CallCount]) => sum + count.throttled, 0),
      };
    });
    return {
      accounts: plan.accounts.length,
      instances: options.orgInstances,
      expectedSessions: plan.expectedSessions,
      mutatingShare: options.orgShare,
      limitSeconds,
      singleAccountLimitSeconds: organizationLimitSeconds([plan.expectedSessions], 1),
      convergedSeconds,
      sessionsAtEnd,
      perAccount,
      invariants: checkInvariants(world, eligibility),
      failedInvocations,
      deadLetters: cloud.deadLetters.size,
      deferredRecords: Object.values(cloud.queues).reduce((sum, queue) => sum + queue.stats().sentDelayed, 0),
      concurrency,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0, cores: os.availableParallelism() },
    };
  } finally {
    for (const client of clients.values()) client.destroy();
    await cloud.stop().catch((error: unknown) => log(`stopping the local cloud: ${(error as Error).message}`));
  }
}
