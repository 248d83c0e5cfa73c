/**
 * The hub of an organization whose document names OUs, through the real SDK against the simulator (AWS Organizations'
 * JSON protocol, the tree set by the simulator's options): an account under a listed OU (or an OU nested in it)
 * converges, an excluded or suspended one does not, the sweep, the window-end tick and mirrorctl --account cover the
 * resolved accounts, a failed resolution
 * (Organizations denied, an OU that does not exist) is reported and the listed accounts still converge, and the
 * resolved accounts are cached between invocations (Organizations' calls counted).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ListChildrenCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { Handler, ScheduledEvent, SQSBatchResponse } from 'aws-lambda';
import type { PlanReport } from '../../cli/views/plan';
import { loadConfig } from '../../shared/config/config';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import type { OrganizationSweepSummary } from '../../shared/lambda/organization-sweep';
import type { ScopeWindowEnd } from '../../shared/lambda/organization-window-end';
import type { OrganizationWiringOptions } from '../../shared/wiring/organization';
import { captureIo } from '../cli/cli-io';
import { createLambdaContext } from '../support/lambda-context';
import { Ec2Seeder, freshInstanceEvents, setOrganizationHubEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { scheduledTick, sqsBatchOf, stateChangeEvent } from '../support/trigger-events';

const MANAGEMENT = '999999999999';
const SECURITY = '111122223333';
const DIRECT = '444455556666';
const NESTED = '555566667777';
const SUSPENDED = '666677778888';
const EXCLUDED = '777788889999';
const MEMBERS = [DIRECT, NESTED, SUSPENDED, EXCLUDED];
const KEYS: Record<string, string> = {
  [DIRECT]: 'AKIDDIRECT',
  [NESTED]: 'AKIDNESTED',
  [SUSPENDED]: 'AKIDSUSPENDED',
  [EXCLUDED]: 'AKIDEXCLUDED',
};
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-workload';
const PROD = 'ou-ab12-prod0001';
const DUBLIN = 'eu-west-1';
const SPOKE_ROLE_NAME = 'vpc-mirror-orchestrator-spoke';
const PARAMETER = '/vpc-mirror-orchestrator/organization';
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const TAGGED = { tags: { 'traffic-mirror': 'true' } };
const ORGANIZATIONS_READS = ['ListChildren', 'ListAccountsForParent'] as const;

let cloud: TestCloud;
let instanceEvents: Handler<unknown, SQSBatchResponse>;
const clients: Array<{ destroy(): void }> = [];
let targetId = '';
const filters: Record<string, string> = {};

function tracked<T extends { destroy(): void }>(client: T): T {
  clients.push(client);
  return client;
}

/** Launches and seeds in the account (its access key), in the hub's Region. */
function seederOf(accountId: string): Ec2Seeder {
  const accessKeyId = accountId === SECURITY ? 'test' : (KEYS[accountId] ?? 'test');
  const ec2 = tracked(
    new EC2Client({ endpoint: cloud.sim.url, region: DUBLIN, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 5 }),
  );
  return new Ec2Seeder({ ec2, sim: cloud.sim, region: DUBLIN });
}

/** An EC2 event as the member's spoke rule forwards it. */
function runningIn(accountId: string, instanceId: string) {
  return {
    ...stateChangeEvent(instanceId, 'running'),
    account: accountId,
    region: DUBLIN,
    resources: [`arn:aws:ec2:${DUBLIN}:${accountId}:instance/${instanceId}`],
  };
}

function managedSessionsOf(accountId: string, eniIds: readonly string[]) {
  return cloud.sim
    .snapshot({ accountId, region: DUBLIN })
    .sessions.filter((session) => eniIds.includes(session.networkInterfaceId) && session.tags[OWNER_TAG] !== undefined);
}

function documentWith(fields: Record<string, unknown> = {}) {
  return {
    spokeRoleName: SPOKE_ROLE_NAME,
    accounts: [SECURITY],
    organizationalUnits: [WORKLOADS],
    excludedAccounts: [EXCLUDED],
    regions: {
      [DUBLIN]: {
        targetIds: [targetId],
        filterId: filters[SECURITY],
        accountFilterIds: Object.fromEntries(MEMBERS.map((accountId) => [accountId, filters[accountId]])),
      },
    },
    ...fields,
  };
}

async function putDocument(document: unknown): Promise<void> {
  const ssm = tracked(
    new SSMClient({ endpoint: cloud.sim.url, region: DUBLIN, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  );
  await ssm.send(new PutParameterCommand({ Name: PARAMETER, Value: JSON.stringify(document), Type: 'String', Overwrite: true }));
}

/** Organizations' reads the simulator answered (every account and Region: Organizations is global). */
function organizationsCalls(): number {
  const calls = cloud.sim.calls();
  return ORGANIZATIONS_READS.reduce((sum, action) => sum + (calls[action]?.total ?? 0), 0);
}

function invoke(handler: Handler<unknown, SQSBatchResponse>, ...events: unknown[]): Promise<SQSBatchResponse> {
  return handler(sqsBatchOf(...events), createLambdaContext(), () => undefined) as Promise<SQSBatchResponse>;
}

/** The error lines a wiring's own logger wrote (message and attributes), and the single metrics it recorded. */
function observed() {
  const logger = new Logger({ serviceName: 'organization-units-test', logLevel: 'SILENT' });
  const errors = jest.spyOn(logger, 'error');
  const errorLines = () =>
    errors.mock.calls.map(([message, ...attributes]) => ({ message, ...Object.assign({}, ...attributes) }) as Record<string, unknown>);
  const counts: Array<{ name: string; dimensions: Record<string, string>; value: number }> = [];
  const metrics = {
    addMetric: () => undefined,
    singleMetric: () => {
      let dimensions: Record<string, string> = {};
      return {
        addDimensions: (added: Record<string, string>) => {
          dimensions = added;
        },
        addMetric: (name: string, _unit: string, value: number) => counts.push({ name, dimensions, value }),
      };
    },
  } as unknown as Metrics;
  return { errorLines, counts, metrics, logger };
}

/** A wiring of the hub as a container makes it, with an Organizations client signing as `organizationsKey()`. */
async function hubWiring(
  organizationsKey: () => string,
  extra: Partial<OrganizationWiringOptions> = {},
): Promise<ReturnType<typeof import('../../shared/wiring/organization').organizationWiring>> {
  const { organizationWiring } = await import('../../shared/wiring/organization');
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  return organizationWiring({
    base: loadConfig({ LEDGER_TABLE_NAME: cloud.table.tableName, MIRROR_ORGANIZATION_PARAMETER: PARAMETER }),
    parameterName: PARAMETER,
    clients: {
      documents: cloud.documents,
      eventBridge: tracked(new EventBridgeClient({ endpoint: cloud.bus.endpoint, region: DUBLIN, credentials })),
      sts: tracked(new STSClient({ endpoint: cloud.sim.url, region: DUBLIN, credentials })),
      ssm: tracked(new SSMClient({ endpoint: cloud.sim.url, region: DUBLIN, credentials })),
      organizations: tracked(
        new OrganizationsClient({
          endpoint: cloud.sim.url,
          region: DUBLIN,
          maxAttempts: 1,
          // Asked again at every call (already expired): the test changes who signs between calls.
          credentials: async () => ({ accessKeyId: organizationsKey(), secretAccessKey: 'test', expiration: new Date(0) }),
        }),
      ),
    },
    homeAccountId: SECURITY,
    homeRegion: DUBLIN,
    ...extra,
  });
}

beforeAll(async () => {
  cloud = await startTestCloud({
    accountId: SECURITY,
    accessKeys: { ...Object.fromEntries(MEMBERS.map((accountId) => [KEYS[accountId], accountId])), AKIDMANAGEMENT: MANAGEMENT },
    roles: MEMBERS.map((accountId) => `arn:aws:iam::${accountId}:role/${SPOKE_ROLE_NAME}`),
    organization: {
      managementAccountId: MANAGEMENT,
      rootId: ROOT,
      // The security account runs the hub: the organization's delegation policy lets it read the tree.
      delegatedAdministrators: [SECURITY],
      units: [
        { id: WORKLOADS, parentId: ROOT },
        { id: PROD, parentId: WORKLOADS },
      ],
      accounts: [
        { id: SECURITY, parentId: ROOT },
        { id: DIRECT, parentId: WORKLOADS },
        { id: SUSPENDED, parentId: WORKLOADS, state: 'SUSPENDED' },
        { id: EXCLUDED, parentId: WORKLOADS },
        { id: NESTED, parentId: PROD },
      ],
      // Several pages per listing: the SDK's paginators must follow NextToken.
      pageSize: 2,
    },
  });
  targetId = await seederOf(SECURITY).loadBalancerTarget('ids');
  filters[SECURITY] = await seederOf(SECURITY).filter();
  for (const accountId of MEMBERS) {
    cloud.sim.shareTarget(targetId, { withAccountId: accountId, region: DUBLIN });
    filters[accountId] = await seederOf(accountId).filter();
  }
  await putDocument(documentWith());
  setOrganizationHubEnvironment(cloud, PARAMETER);
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, SQSBatchResponse>;
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  delete process.env.MIRROR_ORGANIZATION_PARAMETER;
  delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
  await cloud?.stop();
});

describe('the hub of an organization whose document names OUs', () => {
  it('converges an event from an account under an OU nested in a listed OU, and one directly under it', async () => {
    const nested = await seederOf(NESTED).launch(TAGGED);
    const direct = await seederOf(DIRECT).launch(TAGGED);

    const answer = await invoke(instanceEvents, runningIn(NESTED, nested.instanceId), runningIn(DIRECT, direct.instanceId));

    expect(answer.batchItemFailures).toEqual([]);
    expect(managedSessionsOf(NESTED, nested.eniIds).map((session) => session.trafficMirrorFilterId)).toEqual([filters[NESTED]]);
    expect(managedSessionsOf(DIRECT, direct.eniIds)).toHaveLength(1);
  });

  it('leaves alone an excluded account and a suspended one under the listed OU, and converges a listed account', async () => {
    const excluded = await seederOf(EXCLUDED).launch(TAGGED);
    const suspended = await seederOf(SUSPENDED).launch(TAGGED);
    const listed = await seederOf(SECURITY).launch(TAGGED);

    const answer = await invoke(
      instanceEvents,
      runningIn(EXCLUDED, excluded.instanceId),
      runningIn(SUSPENDED, suspended.instanceId),
      runningIn(SECURITY, listed.instanceId),
    );

    // Acknowledged, not failed: an account the document does not mirror has nothing of ours to do.
    expect(answer.batchItemFailures).toEqual([]);
    expect(managedSessionsOf(EXCLUDED, excluded.eniIds)).toEqual([]);
    expect(managedSessionsOf(SUSPENDED, suspended.eniIds)).toEqual([]);
    expect(managedSessionsOf(SECURITY, listed.eniIds)).toHaveLength(1);
  });

  it('sweeps every resolved account, and neither the excluded nor the suspended one', async () => {
    const sweep = (await import('../../functions/sweep')).handler as Handler<ScheduledEvent, OrganizationSweepSummary>;
    const late = await seederOf(NESTED).launch(TAGGED);

    const summary = (await sweep(
      scheduledTick('sweep-units-1', SECURITY, DUBLIN),
      createLambdaContext('sweep', { getRemainingTimeInMillis: () => 900_000 }),
      () => undefined,
    )) as OrganizationSweepSummary;

    expect(summary.scopes.map((scope) => [scope.accountId, scope.outcome]).sort()).toEqual(
      [SECURITY, DIRECT, NESTED].map((accountId) => [accountId, 'swept']).sort(),
    );
    expect(managedSessionsOf(NESTED, late.eniIds)).toHaveLength(1);
  });

  it('asks Organizations once per container for several invocations, not at every one', async () => {
    const fresh = await freshInstanceEvents();
    const before = organizationsCalls();
    const launched = [await seederOf(NESTED).launch(TAGGED), await seederOf(DIRECT).launch(TAGGED), await seederOf(NESTED).launch(TAGGED)];

    for (const [index, instance] of launched.entries()) {
      await invoke(fresh, runningIn(index === 1 ? DIRECT : NESTED, instance.instanceId));
    }

    // One resolution of the tree under WORKLOADS (pages of 2): ListAccountsForParent WORKLOADS (3 accounts, 2 pages)
    // and PROD (1 page), ListChildren WORKLOADS and PROD (1 page each).
    expect(organizationsCalls() - before).toBe(5);
    expect(managedSessionsOf(NESTED, [...(launched[0]?.eniIds ?? []), ...(launched[2]?.eniIds ?? [])])).toHaveLength(2);
  });

  it('ends a mirroring window at the tick in an account found under a listed OU', async () => {
    const seeder = seederOf(NESTED);
    const nested = await seeder.launch(TAGGED);
    await invoke(instanceEvents, runningIn(NESTED, nested.instanceId));
    expect(managedSessionsOf(NESTED, nested.eniIds)).toHaveLength(1);
    await seeder.tag(nested.instanceId, { 'traffic-mirror-until': new Date(Date.now() - 1_000).toISOString() });
    const windowEnd = (await import('../../functions/window-end')).handler as unknown as Handler<unknown, readonly ScopeWindowEnd[]>;

    const results = await windowEnd({}, createLambdaContext('windowEnd'), () => undefined);

    expect(managedSessionsOf(NESTED, nested.eniIds)).toEqual([]);
    expect(results?.map((result) => result.accountId).sort()).toEqual([SECURITY, DIRECT, NESTED].sort());
  });

  it("calls Organizations' one global endpoint from the hub's Region, as AWS's endpoint rules say", async () => {
    // The product's client as a container in Dublin builds it, with no local endpoint: where its request would go.
    const saved = { endpoint: process.env.AWS_ENDPOINT_URL_ORGANIZATIONS, region: process.env.AWS_REGION };
    delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    process.env.AWS_REGION = DUBLIN;
    try {
      let client: OrganizationsClient | undefined;
      await jest.isolateModulesAsync(async () => {
        client = (await import('../../shared/aws/clients')).organizations();
      });
      if (client === undefined) throw new Error('the clients module did not load');
      const sent: { hostname?: string; authorization?: string } = {};
      client.middlewareStack.add(
        (_next) => async (args) => {
          const request = args.request as { hostname: string; headers: Record<string, string> };
          sent.hostname = request.hostname;
          sent.authorization = request.headers.authorization;
          throw new Error('stopped before sending');
        },
        { step: 'finalizeRequest', priority: 'low' },
      );

      await expect(client.send(new ListChildrenCommand({ ParentId: ROOT, ChildType: 'ORGANIZATIONAL_UNIT' }))).rejects.toThrow(
        'stopped before sending',
      );

      expect(sent.hostname).toBe('organizations.us-east-1.amazonaws.com');
      expect(sent.authorization).toContain('/us-east-1/organizations/aws4_request');
      client.destroy();
    } finally {
      if (saved.endpoint !== undefined) process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = saved.endpoint;
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      else delete process.env.AWS_REGION;
    }
  });

  it('lets mirrorctl name an account found under a listed OU with --account, and refuses an excluded one', async () => {
    const { run } = await import('../../cli/main');
    const mirrorctl = async (...args: string[]) => {
      const io = captureIo({ env: { ...process.env } });
      return { exitCode: await run(args, io), io };
    };

    const nested = await mirrorctl('plan', '--json', '--account', NESTED);
    const excluded = await mirrorctl('plan', '--json', '--account', EXCLUDED);

    expect(nested.exitCode).toBe(0);
    expect(nested.io.json<PlanReport>().scopes).toEqual([{ accountId: NESTED, region: DUBLIN, outcome: 'read' }]);
    expect(excluded.exitCode).toBe(2);
    expect(excluded.io.stderrText()).toContain(`--account ${EXCLUDED}: not in the organization document ${PARAMETER}`);
  });

  describe('wired as a container wires it', () => {
    it("resolves again only when the document's OUs change or the interval has passed", async () => {
      let now = Date.parse('2026-12-05T01:00:00Z');
      const wiring = await hubWiring(() => 'test', { clock: { now: () => new Date(now) }, metrics: null });
      try {
        const before = organizationsCalls();
        await wiring.scopes();
        await wiring.depsFor({ accountId: NESTED, region: DUBLIN });
        now += 60_000;
        await wiring.scopes();
        const afterMinute = organizationsCalls() - before;
        now += 5 * 60_000;
        await wiring.scopes();
        const afterInterval = organizationsCalls() - before;
        await putDocument(documentWith({ mutatingShare: 0.25 }));
        now += 60_000;
        await wiring.scopes();
        const afterOtherChange = organizationsCalls() - before;
        await putDocument(documentWith({ organizationalUnits: [WORKLOADS, PROD] }));
        now += 60_000;
        await wiring.scopes();
        const afterUnitsChange = organizationsCalls() - before;

        // A resolution of WORKLOADS is 5 calls (above), of PROD 2 more; the document is read again every minute, its
        // OUs resolved again only when its list of OUs changed (or every 5 minutes).
        expect([afterMinute, afterInterval, afterOtherChange, afterUnitsChange]).toEqual([5, 10, 10, 17]);
      } finally {
        wiring.destroy();
        await putDocument(documentWith());
      }
    });

    it('reports Organizations denying the hub (no delegation) and still converges the listed accounts', async () => {
      const { errorLines, counts, metrics, logger } = observed();
      // Signing as a member the delegation policy does not name: AccessDeniedException.
      const wiring = await hubWiring(() => KEYS[DIRECT] ?? '', { logger, metrics });
      try {
        const listed = await seederOf(SECURITY).launch(TAGGED);

        const scopes = await wiring.scopes();
        const listedDeps = await wiring.depsFor({ accountId: SECURITY, region: DUBLIN });
        const underOu = await wiring.depsFor({ accountId: NESTED, region: DUBLIN });
        if (listedDeps === undefined) throw new Error('the listed account is mirrored');
        await handleTriggerEvent(sqsBatchOf(runningIn(SECURITY, listed.instanceId)), listedDeps);

        expect(scopes).toEqual([{ accountId: SECURITY, region: DUBLIN }]);
        expect(underOu).toBeUndefined();
        expect(managedSessionsOf(SECURITY, listed.eniIds)).toHaveLength(1);
        const unresolved = errorLines().filter((line) => line.message === 'organizational unit not resolved');
        expect(unresolved).toEqual([expect.objectContaining({ organizationalUnitId: WORKLOADS, keptAccounts: 0 })]);
        expect(String(unresolved[0]?.error)).toContain('AccessDeniedException');
        expect(counts).toEqual([{ name: 'organizationalUnitUnresolved', dimensions: { OrganizationalUnitId: WORKLOADS }, value: 1 }]);
      } finally {
        wiring.destroy();
      }
    });

    it('keeps the last accounts resolved under an OU when a later resolution is denied', async () => {
      const { errorLines, logger } = observed();
      let key = 'test';
      let now = Date.parse('2026-12-05T02:00:00Z');
      const wiring = await hubWiring(() => key, { logger, metrics: null, clock: { now: () => new Date(now) } });
      try {
        const resolved = (await wiring.scopes()).map((scope) => scope.accountId);
        key = KEYS[DIRECT] ?? '';
        now += 5 * 60_000;

        const afterDenial = (await wiring.scopes()).map((scope) => scope.accountId);

        expect(resolved).toEqual([SECURITY, DIRECT, NESTED]);
        expect(afterDenial).toEqual(resolved);
        expect(errorLines().filter((line) => line.message === 'organizational unit not resolved')).toEqual([
          // DIRECT, NESTED and EXCLUDED (found under the OU, left out by the document afterwards).
          expect.objectContaining({ organizationalUnitId: WORKLOADS, keptAccounts: 3, kept: 'the last resolved accounts' }),
        ]);
      } finally {
        wiring.destroy();
      }
    });

    it('names an OU that does not exist, and mirrors the other OUs and the listed accounts', async () => {
      const { errorLines, logger } = observed();
      await putDocument(documentWith({ organizationalUnits: ['ou-ab12-gone0000', PROD] }));
      const wiring = await hubWiring(() => 'test', { logger, metrics: null });
      try {
        const scopes = await wiring.scopes();

        expect(scopes.map((scope) => scope.accountId)).toEqual([SECURITY, NESTED]);
        const unresolved = errorLines().filter((line) => line.message === 'organizational unit not resolved');
        expect(unresolved).toEqual([expect.objectContaining({ organizationalUnitId: 'ou-ab12-gone0000' })]);
        expect(String(unresolved[0]?.error)).toContain('ParentNotFoundException');
      } finally {
        wiring.destroy();
        await putDocument(documentWith());
      }
    });
  });
});
