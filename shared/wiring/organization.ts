/**
 * The hub's wiring for an organization: the document (SSM, parsed and cached a minute), the accounts it mirrors
 * (its OUs resolved through AWS Organizations, cached: shared/converge/mirrored-accounts.ts), and for each (account,
 * Region) mirrored converge's dependencies: an EC2 client in that Region signing as the spoke role (the hub's own
 * account as itself, shared/aws/spoke-clients.ts), paced at the document's share of the account's EC2 mutating
 * budget, the ledger under the scope's keys, outcome events and log lines naming the account and Region.
 * Usable from the functions and from cli/ (depsFor(scope)).
 */

import {
  dynamoDocuments,
  eventBridge,
  type OrganizationClients,
  organizations as organizationsClient,
  ssm as ssmClient,
  sts as stsClient,
} from '../aws/clients';
import { createEc2Adapter } from '../aws/ec2';
import { HOME_KEY_SCOPE, keyScopeOf, pacingKey } from '../aws/ledger/keys';
import { LedgerTokenBucket } from '../aws/ledger/pacing';
import { readParameterText } from '../aws/organization-document';
import { createOrganizationTree } from '../aws/organization-tree';
import { callerAccountId, createSpokeClients, isSpokeAccessDenied, type SpokeClients } from '../aws/spoke-clients';
import type { Config } from '../config/config';
import { configForRegion, type Organization, parseOrganization, type Scope, scopeKey, scopesOf } from '../config/organization';
import { mirroredAccounts } from '../converge/mirrored-accounts';
import type { OrganizationPort, ScopedDeps, ScopePacing } from '../converge/organization-ports';
import type { ConvergeDeps, LedgerPort, OutcomeEvent, PublisherPort } from '../converge/ports';
import { pacedEc2 } from '../converge/sweep';
import { ConfigError } from '../domain/errors';
import { logger as containerLogger, metrics as containerMetrics } from '../observability';
import { defaultDeps } from './deps';
import { governanceDeps } from './governance';

/** EC2's mutating bucket per account and Region (docs/AWS-FACTS.md): 50 at once, 5 more per second. */
export const EC2_MUTATING_BUCKET = { capacity: 50, refillPerSecond: 5 } as const;
export const DOCUMENT_CACHE_MS = 60_000;
/** How long a malformed document's refusal is answered without reading the parameter again. */
export const REFUSED_DOCUMENT_CACHE_MS = 10_000;

export interface OrganizationWiringOptions {
  /** The flat configuration: table, bus, owner, tag keys of overrides; the document names the rest. */
  readonly base: Config;
  readonly parameterName: string;
  /** Default: the container's. `ec2` is not used: each scope gets its own client. */
  readonly clients?: OrganizationClients;
  /** Default: AWS_REGION. */
  readonly homeRegion?: string;
  /** Default: asked of STS (GetCallerIdentity) once. */
  readonly homeAccountId?: string;
  readonly clock?: ConvergeDeps['clock'];
  readonly logger?: ConvergeDeps['logger'];
  /** null: no metrics. */
  readonly metrics?: ConvergeDeps['metrics'] | null;
  /** How the pacing waits for a token (tests: a fake clock's). Default: setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Start reading the document now rather than at the first call (the functions: at module load). */
  readonly readAtStart?: boolean;
}

export interface OrganizationWiring extends OrganizationPort {
  /** The scope's EC2 client (the spoke role's credentials), for mirrorctl's own checks of what the document names. */
  ec2ClientFor(scope: Scope): Promise<ReturnType<SpokeClients['ec2For']>>;
  destroy(): void;
}

/** Stamps the scope on every outcome event, where it is written to the outbox and where it is published. */
function scopedOutcomes(ledger: LedgerPort, publisher: PublisherPort, scope: Scope): { ledger: LedgerPort; publisher: PublisherPort } {
  const stamp = (event: OutcomeEvent): OutcomeEvent => ({ accountId: scope.accountId, region: scope.region, ...event });
  return {
    ledger: {
      ...ledger,
      addToOutbox: (event) => ledger.addToOutbox(stamp(event)),
      writeRecords: (records) => ledger.writeRecords({ ...records, outbox: records.outbox.map(stamp) }),
    },
    publisher: {
      publish: (events) => publisher.publish(events.map(stamp)),
      requestConverge: (requests) => publisher.requestConverge(requests.map((request) => ({ ...request, ...scope }))),
    },
  };
}

export function organizationWiring(options: OrganizationWiringOptions): OrganizationWiring {
  const clients = options.clients ?? { documents: dynamoDocuments(), eventBridge: eventBridge(), sts: stsClient(), ssm: ssmClient() };
  const homeRegion = options.homeRegion ?? process.env.AWS_REGION ?? '';
  const now = () => (options.clock ?? { now: () => new Date() }).now().getTime();
  const baseLogger = options.logger ?? containerLogger;
  const metricsPort = options.metrics === null ? undefined : (options.metrics ?? containerMetrics);

  /**
   * The last reading: a document (kept DOCUMENT_CACHE_MS), or the ConfigError of a malformed one (kept REFUSED_DOCUMENT_CACHE_MS:
   * every invocation meanwhile fails at once with it, without asking SSM again, and a fixed document is read within
   * that time). A failure to read (throttled, network) is not kept: the next invocation asks again.
   */
  let cached:
    | { readonly document: Organization; readonly text: string; readonly readAt: number }
    | { readonly refused: ConfigError; readonly readAt: number }
    | undefined;
  let reading: Promise<Organization> | undefined;
  async function read(): Promise<Organization> {
    try {
      const text = await readParameterText(clients.ssm, options.parameterName);
      // The same text keeps the same document: each scope's deps (and their adapters' caches) are rebuilt only when
      // the document changes, not every time the cache expires.
      const unchanged = cached !== undefined && 'text' in cached && cached.text === text ? cached.document : undefined;
      const parsed = unchanged ?? parseOrganization(options.parameterName, text);
      cached = { document: parsed, text, readAt: now() };
      return parsed;
    } catch (error) {
      if (error instanceof ConfigError) cached = { refused: error, readAt: now() };
      throw error;
    }
  }
  function document(): Promise<Organization> {
    if (cached !== undefined) {
      const age = now() - cached.readAt;
      if ('refused' in cached && age < REFUSED_DOCUMENT_CACHE_MS) return Promise.reject(cached.refused);
      if ('document' in cached && age < DOCUMENT_CACHE_MS) return Promise.resolve(cached.document);
    }
    // Concurrent invocations of one container share one read.
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  }
  // Read from the start (module load): a malformed document is known before the first event, and refused by it.
  if (options.readAtStart) document().catch(() => undefined);

  const accounts = mirroredAccounts({
    tree: createOrganizationTree(clients.organizations ?? organizationsClient()),
    clock: options.clock ?? { now: () => new Date() },
    logger: baseLogger,
    metrics: metricsPort,
  });
  async function scopes(): Promise<Scope[]> {
    const current = await document();
    return scopesOf(current, await accounts.of(current));
  }

  let homeAccount: Promise<string> | undefined;
  const homeAccountId = (): Promise<string> => {
    homeAccount ??= options.homeAccountId !== undefined ? Promise.resolve(options.homeAccountId) : callerAccountId(clients.sts);
    return homeAccount;
  };

  let spokeRoleName = '';
  let spokeClients: ReturnType<typeof createSpokeClients> | undefined;
  async function ec2For(scope: Scope) {
    // Awaited before the test: concurrent first calls must share one set of clients.
    const home = await homeAccountId();
    spokeClients ??= createSpokeClients({ sts: clients.sts, homeAccountId: home, spokeRoleName: () => spokeRoleName });
    return spokeClients.ec2For(scope);
  }

  /**
   * One bucket per scope at `mutatingShare` of EC2's, kept in the ledger (shared/aws/ledger/pacing.ts) so that every
   * container converging the account draws on it: together they stay within the share, however many run, and one
   * container alone may spend all of it. Each mutating call costs one UpdateItem in the common case, racing containers
   * each get the next slot (GCRA; docs/PERFORMANCE.md weighs this against a bucket per container). Scopes' buckets
   * are separate, but a take sleeps inside the invocation: containers waiting on one account's share are containers
   * the other accounts' events cannot use (measured in docs/PERFORMANCE.md).
   */
  const pacings = new Map<string, ScopePacing>();
  function pacingFor(scope: Scope, share: number): ScopePacing {
    const key = `${scopeKey(scope)}@${share}`;
    let pacing = pacings.get(key);
    if (pacing === undefined) {
      const capacity = Math.max(1, Math.floor(EC2_MUTATING_BUCKET.capacity * share));
      const refillPerSecond = EC2_MUTATING_BUCKET.refillPerSecond * share;
      const bucket = new LedgerTokenBucket({
        documents: clients.documents,
        tableName: options.base.tableName,
        key: pacingKey(scope.accountId, scope.region),
        capacity,
        refillPerSecond,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
      });
      pacing = { capacity, refillPerSecond, bucket };
      pacings.set(key, pacing);
    }
    return pacing;
  }

  /** Each scope's deps, kept while the document and its mirrored accounts (the audit's key scopes) are the same. */
  const built = new Map<string, { document: Organization; mirrored: string; deps: ScopedDeps }>();
  async function depsFor(scope: Scope): Promise<ScopedDeps | undefined> {
    const current = await document();
    spokeRoleName = current.spokeRoleName;
    const config = configForRegion(options.base, current, scope.region, scope.accountId);
    const mirrored = await accounts.of(current);
    if (config === undefined || !mirrored.includes(scope.accountId)) return undefined;
    const key = scopeKey(scope);
    const known = built.get(key);
    if (known?.document === current && known.mirrored === mirrored.join()) return known.deps;

    const ec2 = await ec2For(scope);
    const hubAccountId = await homeAccountId();
    const keyScopeFor = (each: Scope) =>
      each.accountId === hubAccountId && each.region === homeRegion ? HOME_KEY_SCOPE : keyScopeOf(each.accountId, each.region);
    const keyScope = keyScopeFor(scope);
    const scopedLogger = baseLogger.createChild();
    scopedLogger.appendKeys({ accountId: scope.accountId, region: scope.region });
    const plain = defaultDeps(config, {
      clients: { ec2, documents: clients.documents, eventBridge: clients.eventBridge },
      ...(options.clock ? { clock: options.clock } : {}),
      logger: scopedLogger,
      metrics: metricsPort ?? null,
      keyScope,
      auditKeyScopes: [...new Set([HOME_KEY_SCOPE, ...scopesOf(current, mirrored).map(keyScopeFor)])],
      accountId: scope.accountId,
    });
    const pacing = pacingFor(scope, current.mutatingShare);
    // Read-only, and not filtered to one account's sessions: the target owner's view is what the audit counts.
    const ownerClient = scope.accountId === hubAccountId ? ec2 : await ec2For({ accountId: hubAccountId, region: scope.region });
    const targetOwnerView = createEc2Adapter({ client: ownerClient, ownerId: config.ownerId });
    const deps: ScopedDeps = {
      ...plain,
      ...scopedOutcomes(plain.ledger, plain.publisher, scope),
      ec2: pacedEc2(plain.ec2, pacing.bucket),
      pacing,
      scope,
      targetOwnerView,
      unmanaged: governanceDeps(config, { ec2, documents: clients.documents }, options.clock).unmanaged,
    };
    built.set(key, { document: current, mirrored: mirrored.join(), deps });
    return deps;
  }

  return {
    document,
    scopes,
    depsFor,
    isAccessDenied: isSpokeAccessDenied,
    ec2ClientFor: ec2For,
    destroy() {
      spokeClients?.destroy();
    },
  };
}
