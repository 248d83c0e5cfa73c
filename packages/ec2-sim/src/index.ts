/**
 * The local EC2 simulator: Traffic Mirroring and the instance/ENI surface around it, over EC2's real Query
 * protocol on 127.0.0.1, so the unmodified AWS SDK (retries, error parsing) talks to it. See docs/SIMULATOR.md.
 */
import type { AddressInfo } from 'node:net';
import type { EventBridgeEvent } from 'aws-lambda';
import type { ActionContext } from './actions/context';
import { type CallCount, CallCounters } from './counters';
import { type Fault, FaultInjector } from './faults';
import { type Hook, type HookPhase, Hooks } from './hooks';
import { IdGenerator } from './model/ids';
import { seededRandom } from './model/random';
import type { ConsistencyWindow } from './model/recent-deletions';
import { AccessKeys, type KeyIdentity, scopeOf } from './org/identity';
import { noOrganization, ORGANIZATIONS_TARGET_PREFIX, OrganizationsService, type OrganizationTree } from './org/organizations';
import { Organization } from './org/sharing';
import { answerSts, Roles, type RoleTrust } from './org/sts';
import { Worlds } from './org/worlds';
import type { Params } from './protocol/query';
import { AWS_LIMITS, type Limits } from './rules/limits';
import { createEc2Server } from './server';
import { type SimulatorSnapshot, snapshotOf } from './snapshot';
import { answerSsm, SSM_TARGET_PREFIX } from './ssm/json-protocol';
import { Throttler, type ThrottlingSettings } from './throttling';

export type { CallCount } from './counters';
export type { Fault } from './faults';
export type { Hook, HookPhase } from './hooks';
export { type Random, seededRandom } from './model/random';
export type { KeyIdentity } from './org/identity';
export type { OrganizationAccountState, OrganizationTree } from './org/organizations';
export type { RoleTrust } from './org/sts';
/** Throw one from a hook to answer that exact call with an EC2 error of your choice. */
export { Ec2Error } from './protocol/errors';
export { allInstanceTypes, FAMILIES, FULL_HOST_TARGET_TYPES, type InstanceTypeInfo, lookupInstanceType } from './rules/catalogue';
export type { Limits } from './rules/limits';
export { AWS_LIMITS } from './rules/limits';
export type { SimulatorSnapshot } from './snapshot';
export type { ThrottlingSettings } from './throttling';

export interface SimulatorOptions {
  /** 0 = a free port (default). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 'eu-west-1'; the default subnets are in its zones a, b and c. */
  region?: string;
  /** Default '111122223333': the account of every access key not in `accessKeys`. */
  accountId?: string;
  /**
   * Access key id -> account id: requests signed with these keys act in that account (its own instances, ENIs,
   * sessions, targets). Each account has separate state per Region, the Region being the one of the request's SigV4
   * credential scope. Keys issued by AssumeRole act in the role's account. A key may also name the principal it acts
   * as (`{ accountId, principalArn: 'arn:aws:iam::<account>:role/hub' }`), which roles' trust is checked against.
   */
  accessKeys?: Record<string, KeyIdentity>;
  /**
   * IAM roles that exist (`arn:aws:iam::<account>:role/<name>`): AssumeRole grants them, refuses any other. A role
   * given with `trustedPrincipals` (its trust policy's Principal.AWS) refuses every other caller with AccessDenied.
   */
  roles?: Array<string | ({ readonly arn: string } & RoleTrust)>;
  /**
   * The AWS Organization the accounts belong to (root, OUs, accounts with their state), served by Organizations'
   * ListChildren, ListAccountsForParent and DescribeOrganization to its management account and delegated
   * administrators. Unset: every caller is in no organization (AWSOrganizationsNotInUseException).
   */
  organization?: OrganizationTree;
  /** Seeds resource ids and fault randomness (default: random). */
  seed?: number;
  /** Delay of each second step (pending->running, stopping->stopped, shutting-down->terminated). Default 20 ms. */
  transitionDelayMs?: number;
  /** How long terminated instances stay describable. Default 1 hour. */
  terminatedRetentionMs?: number;
  throttling?: ThrottlingSettings;
  /** Forward every event by PutEvents to this EventBridge endpoint (e.g. the local bus). */
  eventBridgeEndpoint?: string;
  eventBusName?: string;
  /** Also emit `AWS API Call via CloudTrail` events for CreateTags/DeleteTags. Default false. */
  cloudTrailEvents?: boolean;
  /** Lower quotas to reach them quickly in tests. Default: AWS's. */
  limits?: Partial<Limits>;
  /**
   * Check every answer against AWS's EC2 service model (needs the aws-sdk v2 package, a dev dependency) and record
   * what does not conform. Default: on when the environment has EC2_SIM_VALIDATE_RESPONSES=1.
   */
  validateResponses?: boolean;
}

/** One account in one Region; the Region defaults to the simulator's. */
export interface Scope {
  readonly accountId: string;
  readonly region?: string;
}

export interface Simulator {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly region: string;
  readonly accountId: string;
  stop(): Promise<void>;
  onEvent(listener: (event: EventBridgeEvent<string, unknown>) => void): () => void;
  /** Calls of every account and Region; or of the given account in the given (default: the default) Region. */
  calls(scope?: Scope): Record<string, CallCount>;
  resetCalls(): void;
  /** On AWS each account has its own buckets in each Region: so here (the settings apply to every one of them). */
  setThrottling(t: ThrottlingSettings): void;
  /** A fault everywhere; or only in the given account and Region, where it wins over one set everywhere. */
  setFault(action: string | '*', fault: Fault | undefined, scope?: Scope): void;
  /**
   * New resources answer NotFound (and are absent from Describe listings) for this long, and deleted sessions stay in
   * the listings for this long. 0 = consistent.
   */
  setEventualConsistency(ms: number): void;
  /**
   * Changes quotas from now on (for example lowers the account's session quota below what it holds): in every
   * account and Region, or only in the given one (which then wins over changes made everywhere).
   */
  setLimits(changes: Partial<Limits>, scope?: Scope): void;
  hook(action: string, phase: HookPhase, fn: Hook): () => void;
  /** The default account in the default Region; or the given account and Region. */
  snapshot(scope?: Scope): SimulatorSnapshot;
  /** Makes a role exist (AssumeRole grants it, to the trusted principals only when given) or not (a missing spoke role). */
  addRole(roleArn: string, trust?: RoleTrust): void;
  removeRole(roleArn: string): void;
  /** Shares a target through AWS RAM with another account of its Region (owner: the default account unless given). */
  shareTarget(targetId: string, share: { withAccountId: string; ownerAccountId?: string; region?: string }): void;
  /** Resolves when pending state transitions and event deliveries are done. */
  settle(): Promise<void>;
  /** Event deliveries (listeners, PutEvents) that failed; they never fail the EC2 request. */
  eventDeliveryFailures(): number;
  /** What response validation found so far (empty when it is off). */
  responseViolations(): string[];
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? '111122223333';
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  let limits: Limits = { ...AWS_LIMITS, ...options.limits };
  const limitsByScope = new Map<string, Partial<Limits>>();
  const scopeKey = (scope: Scope) => scopeOf({ accountId: scope.accountId, region: scope.region ?? region });
  const ids = new IdGenerator(seededRandom(seed));
  const consistencyWindow: ConsistencyWindow = { ms: 0 };
  const worlds = new Worlds({
    consistencyWindow,
    transitionDelayMs: options.transitionDelayMs ?? 20,
    terminatedRetentionMs: options.terminatedRetentionMs ?? 3_600_000,
    events: {
      cloudTrailEvents: options.cloudTrailEvents ?? false,
      ...(options.eventBridgeEndpoint ? { eventBridgeEndpoint: options.eventBridgeEndpoint } : {}),
      ...(options.eventBusName ? { eventBusName: options.eventBusName } : {}),
    },
  });
  const home = worlds.get(accountId, region);
  const organization = new Organization(worlds);
  const keys = new AccessKeys(options.accessKeys ?? {}, accountId, region);
  const organizationTree = options.organization ? new OrganizationsService(options.organization, accountId) : undefined;
  const roles = new Roles();
  for (const role of options.roles ?? []) {
    if (typeof role === 'string') roles.add(role);
    else roles.add(role.arn, role);
  }
  const counters = new CallCounters();
  const throttler = new Throttler();
  throttler.configure(options.throttling ?? { enabled: false });
  // A separate stream from the ids: turning faults on must not change which ids a seed produces.
  const faults = new FaultInjector(seededRandom(seed ^ 0x5bd1e995));
  const hooks = new Hooks();
  // Loaded only when on: aws-sdk v2 (the model) is a dev dependency the simulator must not need otherwise. A lazy
  // require rather than import(): the sources run as CommonJS (tsx, swc), and import() would take Node's ES module
  // resolver, which refuses a directory and a .ts file when only tsx's CommonJS hook is registered (the bin).
  const validation =
    (options.validateResponses ?? process.env.EC2_SIM_VALIDATE_RESPONSES === '1')
      ? (require('./conformance') as typeof import('./conformance')).createResponseValidation()
      : undefined;

  const server = createEc2Server({
    ...(validation
      ? {
          inspect: (action: string, params: Params, xml: string) => validation.check(action, params, xml),
          inspectError: (action: string, xml: string) => validation.checkError(action, xml),
        }
      : {}),
    counters,
    throttler,
    faults,
    hooks,
    callerOf: (authorization) => keys.callerOf(authorization),
    sts: (params, caller, requestId) => answerSts(params, caller, roles, keys, requestId),
    ssm(target, body, caller) {
      const answer = answerSsm(target, body, worlds.get(caller.accountId, caller.region).parameters, caller);
      validation?.checkSsm(target.slice(SSM_TARGET_PREFIX.length), answer.status, answer.body);
      return answer;
    },
    organizations(target, body, caller) {
      const answer = organizationTree ? organizationTree.answer(target, body, caller) : noOrganization();
      const action = target.slice(ORGANIZATIONS_TARGET_PREFIX.length);
      const code = answer.status === 200 ? undefined : (JSON.parse(answer.body) as { __type?: string }).__type;
      counters.record(action, code === undefined ? { kind: 'ok' } : { kind: 'error', code }, scopeOf(caller));
      return answer;
    },
    context: (requestId, caller): ActionContext => {
      const world = worlds.get(caller.accountId, caller.region);
      return {
        state: world.state,
        ids,
        lifecycle: world.lifecycle,
        events: world.events,
        region: world.region,
        accountId: world.accountId,
        limits: { ...limits, ...limitsByScope.get(scopeOf(world)) },
        requestId,
        consistencyWindowMs: consistencyWindow.ms,
        idempotency: world.idempotency,
        world,
        organization,
        now: () => Date.now(),
      };
    },
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    region,
    accountId,
    async stop() {
      for (const world of worlds.all()) world.lifecycle.close();
      for (const world of worlds.all()) {
        await world.events.settle();
        world.events.close();
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    onEvent: (listener) => worlds.subscribe(listener),
    calls: (scope) => counters.snapshot(scope ? scopeKey(scope) : undefined),
    resetCalls: () => counters.reset(),
    setThrottling: (settings) => throttler.configure(settings),
    setFault: (action, fault, scope) => faults.set(action, fault, scope ? scopeKey(scope) : ''),
    setEventualConsistency(ms) {
      if (!(ms >= 0)) throw new RangeError('eventual consistency window must be >= 0 ms');
      consistencyWindow.ms = ms;
    },
    setLimits(changes, scope) {
      if (!scope) {
        limits = { ...limits, ...changes };
        return;
      }
      const key = scopeKey(scope);
      limitsByScope.set(key, { ...limitsByScope.get(key), ...changes });
    },
    hook: (action, phase, fn) => hooks.add(action, phase, fn),
    snapshot: (scope) => snapshotOf(scope ? worlds.get(scope.accountId, scope.region ?? region).state : home.state),
    addRole: (roleArn, trust) => roles.add(roleArn, trust),
    removeRole: (roleArn) => roles.remove(roleArn),
    shareTarget(targetId, share) {
      organization.share(worlds.get(share.ownerAccountId ?? accountId, share.region ?? region), targetId, share.withAccountId);
    },
    async settle() {
      for (const world of worlds.all()) {
        await world.lifecycle.settle();
        await world.events.settle();
      }
    },
    eventDeliveryFailures: () => worlds.all().reduce((sum, world) => sum + world.events.deliveryFailures(), 0),
    responseViolations: () => validation?.violations() ?? [],
  };
}
