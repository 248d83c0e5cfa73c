/**
 * The hub of an organization, through the real SDK against the simulator (accounts told apart by access key,
 * Regions by SigV4 scope, STS AssumeRole of each spoke role, SSM Parameter Store holding the document): events from
 * several accounts and two Regions are converged in the right account and Region, a member's session counts on a
 * target the security account shares with it (RAM), a missing spoke role is reported while the rest of the batch
 * converges, and a malformed document is refused naming the parameter and the JSON path.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeTrafficMirrorSessionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { sqsEvent, sqsRecord } from '@vpc-mirror-orchestrator/local-lambda';
import type { Handler, ScheduledEvent, SQSBatchResponse } from 'aws-lambda';
import { pacingKey } from '../../shared/aws/ledger/keys';
import { loadConfig } from '../../shared/config/config';
import { handleTriggerEvent } from '../../shared/lambda/batch';
import type { OrganizationSweepSummary } from '../../shared/lambda/organization-sweep';
import type { ScopeWindowEnd } from '../../shared/lambda/organization-window-end';
import { MAX_DEFERRALS } from '../../shared/lambda/pacing-gate';
import { handleScheduledSweep } from '../../shared/lambda/sweep-handler';
import type { OrganizationWiring } from '../../shared/wiring/organization';
import { createLambdaContext } from '../support/lambda-context';
import {
  Ec2Seeder,
  freshInstanceEvents,
  ledgerItem,
  setOrganizationHubEnvironment,
  startTestCloud,
  type TestCloud,
  targetLoads,
} from '../support/test-cloud';
import { QUEUE_ARN, scheduledTick, sqsBatchOf, stateChangeEvent } from '../support/trigger-events';

const SECURITY = '111122223333';
const MEMBER = '444455556666';
const NO_SPOKE = '777788889999';
const DUBLIN = 'eu-west-1';
const VIRGINIA = 'us-east-1';
const SPOKE_ROLE_NAME = 'vpc-mirror-orchestrator-spoke';
const PARAMETER = '/vpc-mirror-orchestrator/organization';
const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const TAGGED = { tags: { 'traffic-mirror': 'true' } };
const MEMBER_KEY = 'AKIDMEMBER';
const NO_SPOKE_KEY = 'AKIDNOSPOKE';

interface Scope {
  readonly accountId: string;
  readonly region: string;
}

let cloud: TestCloud;
let instanceEvents: Handler<unknown, SQSBatchResponse>;
let sweepHandler: Handler<ScheduledEvent, OrganizationSweepSummary>;
const clients: Array<{ destroy(): void }> = [];
const targets: Record<string, string> = {};
const filters: Record<string, string> = {};

function clientIn(accessKeyId: string, region: string): EC2Client {
  const client = new EC2Client({ endpoint: cloud.sim.url, region, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 5 });
  clients.push(client);
  return client;
}

function seederIn(accessKeyId: string, region: string): Ec2Seeder {
  return new Ec2Seeder({ ec2: clientIn(accessKeyId, region), sim: cloud.sim, region });
}

/** An EC2 event as the spoke's rule forwards it: the member's account and Region in the envelope. */
function runningIn(scope: Scope, instanceId: string) {
  const event = stateChangeEvent(instanceId, 'running');
  return {
    ...event,
    account: scope.accountId,
    region: scope.region,
    resources: [`arn:aws:ec2:${scope.region}:${scope.accountId}:instance/${instanceId}`],
  };
}

function managedSessionsIn(scope: Scope, eniIds: readonly string[]) {
  return cloud.sim
    .snapshot(scope)
    .sessions.filter((session) => eniIds.includes(session.networkInterfaceId) && session.tags[OWNER_TAG] !== undefined);
}

/** The sweep's schedule tick, as EventBridge sends it in the hub's account and Region. */
const scheduledEvent = (id: string): ScheduledEvent => scheduledTick(id, SECURITY, DUBLIN);

function invoke(...events: unknown[]): Promise<SQSBatchResponse> {
  return instanceEvents(sqsBatchOf(...events), createLambdaContext(), () => undefined) as Promise<SQSBatchResponse>;
}

/** An SSM client of the security account in the hub's Region, destroyed with the others after the tests. */
function ssmClient(): SSMClient {
  const ssm = new SSMClient({ endpoint: cloud.sim.url, region: DUBLIN, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  clients.push(ssm);
  return ssm;
}

async function putDocument(text: string): Promise<void> {
  await ssmClient().send(new PutParameterCommand({ Name: PARAMETER, Value: text, Type: 'String', Overwrite: true }));
}

type HubOptions = Parameters<typeof import('../../shared/wiring/organization')['organizationWiring']>[0];

/**
 * The hub's wiring over this cloud, as a container builds it: the document in PARAMETER, the home Region Dublin,
 * clients of no endpoint unless `options.clients` gives them. Loaded when called, after setFunctionEnvironment: the
 * container's logger reads its level when first imported.
 */
async function hubWiring(options: Partial<Omit<HubOptions, 'clients'>> & { clients?: Partial<HubOptions['clients']> } = {}) {
  const { organizationWiring } = await import('../../shared/wiring/organization');
  return organizationWiring({
    base: loadConfig({ LEDGER_TABLE_NAME: cloud.table.tableName, MIRROR_ORGANIZATION_PARAMETER: PARAMETER }),
    parameterName: PARAMETER,
    homeRegion: DUBLIN,
    metrics: null,
    ...options,
    clients: {
      documents: cloud.documents,
      eventBridge: new EventBridgeClient({}),
      sts: new STSClient({}),
      ssm: ssmClient(),
      ...options.clients,
    },
  });
}

function organizationDocument() {
  return {
    spokeRoleName: SPOKE_ROLE_NAME,
    accounts: [SECURITY, MEMBER, NO_SPOKE],
    regions: {
      [DUBLIN]: {
        targetIds: [targets[DUBLIN]],
        filterId: filters[`${SECURITY}/${DUBLIN}`],
        accountFilterIds: { [MEMBER]: filters[`${MEMBER}/${DUBLIN}`], [NO_SPOKE]: filters[`${SECURITY}/${DUBLIN}`] },
      },
      [VIRGINIA]: {
        targetIds: [targets[VIRGINIA]],
        filterId: filters[`${MEMBER}/${VIRGINIA}`],
      },
    },
    mutatingShare: 0.5,
  };
}

beforeAll(async () => {
  cloud = await startTestCloud({
    accountId: SECURITY,
    accessKeys: { [MEMBER_KEY]: MEMBER, [NO_SPOKE_KEY]: NO_SPOKE },
    // The member's spoke role exists; NO_SPOKE's does not (its StackSet instance failed, say).
    roles: [`arn:aws:iam::${MEMBER}:role/${SPOKE_ROLE_NAME}`],
  });
  // The security account owns one NLB target per Region and shares it with the member through RAM.
  for (const region of [DUBLIN, VIRGINIA]) {
    const targetId = await seederIn('test', region).loadBalancerTarget(`ids-${region}`);
    cloud.sim.shareTarget(targetId, { withAccountId: MEMBER, region });
    targets[region] = targetId;
  }
  filters[`${SECURITY}/${DUBLIN}`] = await seederIn('test', DUBLIN).filter();
  filters[`${MEMBER}/${DUBLIN}`] = await seederIn(MEMBER_KEY, DUBLIN).filter();
  filters[`${MEMBER}/${VIRGINIA}`] = await seederIn(MEMBER_KEY, VIRGINIA).filter();
  await putDocument(JSON.stringify(organizationDocument()));

  setOrganizationHubEnvironment(cloud, PARAMETER);
  instanceEvents = (await import('../../functions/instance-events')).handler as Handler<unknown, SQSBatchResponse>;
  sweepHandler = (await import('../../functions/sweep')).handler as Handler<ScheduledEvent, OrganizationSweepSummary>;
});

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  delete process.env.MIRROR_ORGANIZATION_PARAMETER;
  await cloud?.stop();
});

describe('the hub of an organization', () => {
  it('converges events from several accounts and two Regions in the account and Region each came from', async () => {
    const memberDublin = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
    const memberVirginia = await seederIn(MEMBER_KEY, VIRGINIA).launch({ ...TAGGED, zone: `${VIRGINIA}a` });
    const securityDublin = await seederIn('test', DUBLIN).launch(TAGGED);

    const answer = await invoke(
      runningIn({ accountId: MEMBER, region: DUBLIN }, memberDublin.instanceId),
      runningIn({ accountId: MEMBER, region: VIRGINIA }, memberVirginia.instanceId),
      runningIn({ accountId: SECURITY, region: DUBLIN }, securityDublin.instanceId),
    );

    expect(answer.batchItemFailures).toEqual([]);
    const memberInDublin = managedSessionsIn({ accountId: MEMBER, region: DUBLIN }, memberDublin.eniIds);
    expect(memberInDublin.map((session) => [session.trafficMirrorTargetId, session.trafficMirrorFilterId])).toEqual([
      [targets[DUBLIN], filters[`${MEMBER}/${DUBLIN}`]],
    ]);
    expect(managedSessionsIn({ accountId: MEMBER, region: VIRGINIA }, memberVirginia.eniIds).map((s) => s.trafficMirrorTargetId)).toEqual([
      targets[VIRGINIA],
    ]);
    expect(managedSessionsIn({ accountId: SECURITY, region: DUBLIN }, securityDublin.eniIds)).toHaveLength(1);
    // Nothing was made where the instance is not: the security account holds no session of the member's ENIs.
    expect(managedSessionsIn({ accountId: SECURITY, region: DUBLIN }, memberDublin.eniIds)).toEqual([]);
  });

  it("keeps a member's ENI under its account and Region in the ledger, and the home scope under today's keys", async () => {
    const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
    const home = await seederIn('test', DUBLIN).launch(TAGGED);

    await invoke(
      runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId),
      runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId),
    );

    const memberItem = await ledgerItem(cloud, `${MEMBER}#${DUBLIN}#eni#${member.eniIds[0]}`, 'slots');
    expect(memberItem).toMatchObject({ eniId: member.eniIds[0] });
    // The sweep's index too: a member's ENI sits in its scope's own partitions, read by that scope's sweep alone.
    expect(String(memberItem?.gsi2pk)).toMatch(new RegExp(`^${MEMBER}#${DUBLIN}#tracked#[0-7]$`));
    expect(await ledgerItem(cloud, `eni#${member.eniIds[0]}`, 'slots')).toBeUndefined();
    const homeItem = await ledgerItem(cloud, `eni#${home.eniIds[0]}`, 'slots');
    expect(homeItem).toMatchObject({ eniId: home.eniIds[0] });
    expect(String(homeItem?.gsi2pk)).toMatch(/^tracked#[0-7]$/);
  });

  it("spends no write on the load balancer target the security account shares; its owner sees the member's session", async () => {
    const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
    const home = await seederIn('test', DUBLIN).launch(TAGGED);

    await invoke(
      runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId),
      runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId),
    );

    // No source limit to enforce: the sweep counts the target (below), attaches do not.
    expect((await targetLoads(cloud)).get(targets[DUBLIN] as string)).toBeUndefined();
    // The target's owner sees the member's session on it (AWS's visibility rule): what an audit of the count reads.
    const ownerView = await clientIn('test', DUBLIN).send(
      new DescribeTrafficMirrorSessionsCommand({ Filters: [{ Name: 'traffic-mirror-target-id', Values: [targets[DUBLIN] as string] }] }),
    );
    expect((ownerView.TrafficMirrorSessions ?? []).filter((session) => session.NetworkInterfaceId === member.eniIds[0])).toEqual([
      expect.objectContaining({ OwnerId: MEMBER }),
    ]);
  });

  describe("when an account's budget is busy (the share's next token is due beyond the wait)", () => {
    const member = { accountId: MEMBER, region: DUBLIN };
    /** The member's share (0.5: 25 tokens, 2.5/s, so a 9.6 s tolerance) spent until 4 s from now. */
    const spendMemberBudget = () =>
      cloud.documents.send(
        new PutCommand({ TableName: cloud.table.tableName, Item: { ...pacingKey(MEMBER, DUBLIN), tat: Date.now() + 9_600 + 4_000 } }),
      );
    const restoreMemberBudget = () =>
      cloud.documents.send(new DeleteCommand({ TableName: cloud.table.tableName, Key: pacingKey(MEMBER, DUBLIN) }));
    afterEach(restoreMemberBudget);

    it("puts its records back on their queue, delayed, and converges the other accounts' records at once", async () => {
      const busy = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const home = await seederIn('test', DUBLIN).launch(TAGGED);
      const before = cloud.queue.stats().sent;
      await spendMemberBudget();

      const answer = await invoke(runningIn(member, busy.instanceId), runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId));

      expect(answer.batchItemFailures).toEqual([]);
      expect(managedSessionsIn(member, busy.eniIds)).toEqual([]);
      expect(managedSessionsIn({ accountId: SECURITY, region: DUBLIN }, home.eniIds)).toHaveLength(1);
      expect(cloud.queue.stats().sent - before).toBe(1);
      const deferred = cloud.queue.messages().at(-1);
      expect(JSON.parse(deferred?.body ?? '{}')).toMatchObject({ account: MEMBER, detail: { 'instance-id': busy.instanceId } });
      expect(deferred?.messageAttributes).toEqual({ 'mirror-deferrals': { DataType: 'Number', StringValue: '1' } });
      expect(cloud.queue.stats().delayed).toBeGreaterThanOrEqual(1);

      // The copy, once delivered with room in the budget, converges the instance.
      await restoreMemberBudget();
      const copy = sqsRecord({ body: deferred?.body ?? '', queueArn: QUEUE_ARN, messageAttributes: deferred?.messageAttributes ?? {} });
      const delivered = (await instanceEvents(sqsEvent([copy]), createLambdaContext(), () => undefined)) as SQSBatchResponse;
      expect(delivered.batchItemFailures).toEqual([]);
      expect(managedSessionsIn(member, busy.eniIds)).toHaveLength(1);
    });

    it('converges a record deferred MAX_DEFERRALS times in place, waiting for its token, instead of deferring it again', async () => {
      const busy = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const before = cloud.queue.stats().sent;
      await spendMemberBudget();
      const record = sqsRecord({
        body: JSON.stringify(runningIn(member, busy.instanceId)),
        queueArn: QUEUE_ARN,
        messageAttributes: { 'mirror-deferrals': { DataType: 'Number', StringValue: String(MAX_DEFERRALS) } },
      });

      const answer = (await instanceEvents(sqsEvent([record]), createLambdaContext(), () => undefined)) as SQSBatchResponse;

      expect(answer.batchItemFailures).toEqual([]);
      expect(managedSessionsIn(member, busy.eniIds)).toHaveLength(1);
      expect(cloud.queue.stats().sent).toBe(before);
    });
  });

  it('reports an account whose spoke role is missing and converges the rest of the batch', async () => {
    const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
    const orphan = await seederIn(NO_SPOKE_KEY, DUBLIN).launch(TAGGED);
    cloud.bus.clear();

    const answer = await invoke(
      runningIn({ accountId: NO_SPOKE, region: DUBLIN }, orphan.instanceId),
      runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId),
    );

    expect(answer.batchItemFailures).toEqual([]);
    expect(managedSessionsIn({ accountId: MEMBER, region: DUBLIN }, member.eniIds)).toHaveLength(1);
    expect(managedSessionsIn({ accountId: NO_SPOKE, region: DUBLIN }, orphan.eniIds)).toEqual([]);
    const refusals = cloud.bus.events.filter((event) => event.detail.reason === 'spoke-access-denied');
    expect(refusals.map((event) => [event.detailType, event.detail.instanceId, event.detail.accountId, event.detail.region])).toEqual([
      ['Mirror Session Refused', orphan.instanceId, NO_SPOKE, DUBLIN],
    ]);
    const attached = cloud.bus.events.filter((event) => event.detail.action === 'attach');
    expect(attached.map((event) => [event.detail.instanceId, event.detail.accountId, event.detail.region])).toEqual([
      [member.instanceId, MEMBER, DUBLIN],
    ]);
  });

  it('reports an account whose spoke role may not read EC2 there (UnauthorizedOperation), and converges the others', async () => {
    const member = await seederIn(MEMBER_KEY, VIRGINIA).launch({ ...TAGGED, zone: `${VIRGINIA}a` });
    const home = await seederIn('test', DUBLIN).launch(TAGGED);
    const unhook = cloud.sim.hook('DescribeInstances', 'before', (params) => {
      if (Object.values(params).includes(member.instanceId)) {
        throw new Ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
      }
    });
    cloud.bus.clear();
    try {
      const answer = await invoke(
        runningIn({ accountId: MEMBER, region: VIRGINIA }, member.instanceId),
        runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId),
      );

      expect(answer.batchItemFailures).toEqual([]);
      expect(managedSessionsIn({ accountId: SECURITY, region: DUBLIN }, home.eniIds)).toHaveLength(1);
      const refusals = cloud.bus.events.filter((event) => event.detail.reason === 'spoke-access-denied');
      expect(refusals.map((event) => [event.detail.instanceId, event.detail.accountId, event.detail.region])).toEqual([
        [member.instanceId, MEMBER, VIRGINIA],
      ]);
    } finally {
      unhook();
    }
  });

  it('sweeps every scope of the document, the denied one reported and skipped', async () => {
    const member = await seederIn(MEMBER_KEY, VIRGINIA).launch({ ...TAGGED, zone: `${VIRGINIA}b` });
    cloud.bus.clear();

    const summary = (await sweepHandler(
      scheduledEvent('sweep-org-1'),
      // The sweep function's timeout (15 minutes): time for every scope above the 60 s reserve.
      createLambdaContext('sweep', { getRemainingTimeInMillis: () => 900_000 }),
      () => undefined,
    )) as OrganizationSweepSummary;

    const outcomes = Object.fromEntries(summary.scopes.map((scope) => [`${scope.accountId}/${scope.region}`, scope.outcome]));
    expect(outcomes).toEqual({
      [`${SECURITY}/${DUBLIN}`]: 'swept',
      [`${SECURITY}/${VIRGINIA}`]: 'swept',
      [`${MEMBER}/${DUBLIN}`]: 'swept',
      [`${MEMBER}/${VIRGINIA}`]: 'swept',
      [`${NO_SPOKE}/${DUBLIN}`]: 'access-denied',
      [`${NO_SPOKE}/${VIRGINIA}`]: 'access-denied',
    });
    expect(managedSessionsIn({ accountId: MEMBER, region: VIRGINIA }, member.eniIds)).toHaveLength(1);
    const refusals = cloud.bus.events.filter((event) => event.detail.reason === 'spoke-access-denied');
    expect(refusals.map((event) => [event.detail.instanceId, event.detail.accountId, event.detail.region]).sort()).toEqual([
      ['-', NO_SPOKE, DUBLIN],
      ['-', NO_SPOKE, VIRGINIA],
    ]);
  });

  it("ends a member's mirroring window in the member's account and Region, at the tick", async () => {
    const memberScope = { accountId: MEMBER, region: VIRGINIA };
    const seeder = seederIn(MEMBER_KEY, VIRGINIA);
    const member = await seeder.launch({ ...TAGGED, zone: `${VIRGINIA}a` });
    await invoke(runningIn(memberScope, member.instanceId));
    expect(managedSessionsIn(memberScope, member.eniIds)).toHaveLength(1);
    await seeder.tag(member.instanceId, { 'traffic-mirror-until': new Date(Date.now() - 1_000).toISOString() });
    cloud.bus.clear();
    const windowEnd = (await import('../../functions/window-end')).handler as unknown as Handler<unknown, readonly ScopeWindowEnd[]>;

    const results = await windowEnd({}, createLambdaContext('windowEnd'), () => undefined);

    expect(managedSessionsIn(memberScope, member.eniIds)).toEqual([]);
    expect(results?.find((result) => result.accountId === MEMBER && result.detached > 0)).toMatchObject({ region: VIRGINIA, detached: 1 });
    const detached = cloud.bus.events.filter((event) => event.detail.reason === 'mirror-window-ended');
    expect(detached.map((event) => [event.detail.instanceId, event.detail.accountId, event.detail.region])).toEqual([
      [member.instanceId, MEMBER, VIRGINIA],
    ]);
  });

  it('refuses a malformed document, naming the parameter and the JSON path', async () => {
    const broken = { ...organizationDocument(), accounts: [MEMBER, '4444'] };
    await putDocument(JSON.stringify(broken));
    try {
      // The cached document is a minute old at most: a fresh handler module reads the parameter now.
      const fresh = await freshInstanceEvents();
      const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);

      const answer = fresh(runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId), createLambdaContext(), () => undefined);

      await expect(answer).rejects.toThrow(`${PARAMETER}: $.accounts[1]: "4444" is not an AWS account id (12 digits, as a string)`);
    } finally {
      await putDocument(JSON.stringify(organizationDocument()));
    }
  });

  it('fails a whole SQS batch at once while the document is malformed, so its records end in the dead-letter queue', async () => {
    const broken = {
      ...organizationDocument(),
      regions: { [DUBLIN]: { ...organizationDocument().regions[DUBLIN], targetIds: ['tmt-1'] } },
    };
    await putDocument(JSON.stringify(broken));
    try {
      const fresh = await freshInstanceEvents();
      const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const batch = sqsBatchOf(runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId), { id: 'no-scope' });

      const answer = fresh(batch, createLambdaContext(), () => undefined);

      // An invocation error, not a partial batch response: every record comes back and counts a receive.
      await expect(answer).rejects.toThrow(
        `${PARAMETER}: $.regions["${DUBLIN}"].targetIds[0]: "tmt-1" is not a traffic mirror target id (tmt- + 8 or 17 lowercase hex)`,
      );
      expect(managedSessionsIn({ accountId: MEMBER, region: DUBLIN }, member.eniIds)).toEqual([]);
    } finally {
      await putDocument(JSON.stringify(organizationDocument()));
    }
  });

  it('reads the document from the start and answers its refusal without reading again until the refusal is old', async () => {
    const { REFUSED_DOCUMENT_CACHE_MS } = await import('../../shared/wiring/organization');
    await putDocument(JSON.stringify({ ...organizationDocument(), accounts: [MEMBER, '4444'] }));
    const ssm = ssmClient();
    let reads = 0;
    let firstRead: () => void = () => undefined;
    const readStarted = new Promise<void>((resolve) => {
      firstRead = resolve;
    });
    ssm.middlewareStack.add(
      (next) => async (args) => {
        reads += 1;
        firstRead();
        return next(args);
      },
      { step: 'initialize' },
    );
    let now = Date.parse('2026-12-05T01:00:00Z');
    const wiring = await hubWiring({ clients: { ssm }, homeAccountId: SECURITY, clock: { now: () => new Date(now) }, readAtStart: true });
    try {
      await readStarted;
      const refusal = `${PARAMETER}: $.accounts[1]: "4444" is not an AWS account id (12 digits, as a string)`;

      await expect(wiring.document()).rejects.toThrow(refusal);
      await expect(wiring.document()).rejects.toThrow(refusal);
      expect(reads).toBe(1);

      await putDocument(JSON.stringify(organizationDocument()));
      now += REFUSED_DOCUMENT_CACHE_MS;
      await expect(wiring.document()).resolves.toMatchObject({ accounts: [SECURITY, MEMBER, NO_SPOKE] });
      expect(reads).toBe(2);
    } finally {
      wiring.destroy();
      await putDocument(JSON.stringify(organizationDocument()));
    }
  });

  it("keeps each scope's dependencies while the document's text is unchanged, and rebuilds them when it changes", async () => {
    const { DOCUMENT_CACHE_MS } = await import('../../shared/wiring/organization');
    await putDocument(JSON.stringify(organizationDocument()));
    let now = Date.parse('2026-12-05T01:00:00Z');
    const wiring = await hubWiring({ homeAccountId: SECURITY, clock: { now: () => new Date(now) } });
    const scope = { accountId: SECURITY, region: DUBLIN };
    try {
      const first = await wiring.depsFor(scope);
      now += DOCUMENT_CACHE_MS;
      const afterExpiry = await wiring.depsFor(scope);
      await putDocument(JSON.stringify({ ...organizationDocument(), mutatingShare: 0.25 }));
      now += DOCUMENT_CACHE_MS;
      const afterChange = await wiring.depsFor(scope);

      expect(first).toBeDefined();
      expect(afterExpiry).toBe(first);
      expect(afterChange).not.toBe(first);
    } finally {
      wiring.destroy();
      await putDocument(JSON.stringify(organizationDocument()));
    }
  });

  describe('wired for one scope (depsFor, as mirrorctl would use it)', () => {
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const client = <T>(Make: new (config: object) => T, url: string): T => {
      const made = new Make({ endpoint: url, region: DUBLIN, credentials });
      clients.push(made as unknown as { destroy(): void });
      return made;
    };
    let wiring: OrganizationWiring;
    let lines: Record<string, unknown>[];

    beforeEach(async () => {
      lines = [];
      const logger = new Logger({ serviceName: 'organization-test', logLevel: 'INFO' });
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        return true;
      });
      wiring = await hubWiring({
        clients: {
          eventBridge: client(EventBridgeClient, cloud.bus.endpoint),
          sts: client(STSClient, cloud.sim.url),
          ssm: client(SSMClient, cloud.sim.url),
        },
        logger,
      });
    });

    afterEach(() => {
      jest.restoreAllMocks();
      wiring.destroy();
    });

    it("paces each account's mutating calls on its own share of that account's EC2 budget", async () => {
      const members = [await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED), await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED)];
      const home = await seederIn('test', DUBLIN).launch(TAGGED);
      const memberDeps = await wiring.depsFor({ accountId: MEMBER, region: DUBLIN });
      const homeDeps = await wiring.depsFor({ accountId: SECURITY, region: DUBLIN });
      if (memberDeps === undefined || homeDeps === undefined) throw new Error('both scopes are in the document');

      await Promise.all([
        handleTriggerEvent(sqsBatchOf(...members.map((m) => runningIn({ accountId: MEMBER, region: DUBLIN }, m.instanceId))), memberDeps),
        handleTriggerEvent(sqsBatchOf(runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId)), homeDeps),
      ]);

      // mutatingShare 0.5 of EC2's bucket (50, refilling 5/s), per account and Region.
      expect([memberDeps.pacing.capacity, memberDeps.pacing.refillPerSecond]).toEqual([25, 2.5]);
      expect(memberDeps.pacing.bucket).not.toBe(homeDeps.pacing.bucket);
      expect(memberDeps.pacing.bucket.stats().taken).toBe(2);
      expect(homeDeps.pacing.bucket.stats().taken).toBe(1);
    });

    it("shares one account's budget between containers: together they spend at most the share", async () => {
      // Two warm containers of the hub, on one fake clock that only sleeping moves.
      let now = Date.parse('2026-12-05T01:00:00Z');
      let slept = 0;
      const container = () =>
        hubWiring({
          clients: { sts: client(STSClient, cloud.sim.url) },
          homeAccountId: SECURITY,
          clock: { now: () => new Date(now) },
          sleep: async (ms) => {
            slept += ms;
            now += ms;
          },
        });
      const [first, second] = [await container(), await container()];
      try {
        const scope = { accountId: NO_SPOKE, region: VIRGINIA };
        const [a, b] = [await first.depsFor(scope), await second.depsFor(scope)];
        if (a === undefined || b === undefined) throw new Error('the scope is in the document');

        // mutatingShare 0.5 of EC2's bucket (50, +5/s): 25 at once, then 2.5 per second, for both containers.
        for (let call = 0; call < 20; call += 1) await a.pacing.bucket.take();
        for (let call = 0; call < 10; call += 1) await b.pacing.bucket.take();

        expect(slept).toBeGreaterThanOrEqual(((30 - 25) / 2.5) * 1000);
        expect([a.pacing.bucket.stats().taken, b.pacing.bucket.stats().taken]).toEqual([20, 10]);

        // Racing for the same tokens: each token moves the bucket's theoretical arrival time on by one interval
        // (1 / 2.5 s) from the first take, none spent twice, none lost.
        const before = slept;
        await Promise.all([
          ...Array.from({ length: 10 }, () => a.pacing.bucket.take()),
          ...Array.from({ length: 10 }, () => b.pacing.bucket.take()),
        ]);
        expect(slept - before).toBeGreaterThanOrEqual((20 / 2.5) * 1000 - 1_000);
        const firstTake = Date.parse('2026-12-05T01:00:00Z');
        expect(await ledgerItem(cloud, `pacing#${NO_SPOKE}#${VIRGINIA}`, 'bucket')).toMatchObject({ tat: firstTake + 50 * 400 });
      } finally {
        first.destroy();
        second.destroy();
      }
    });

    it("counts a shared target's sources of every scope, the security account's own included, when a member's scope sweeps", async () => {
      const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const home = await seederIn('test', DUBLIN).launch(TAGGED);
      await invoke(
        runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId),
        runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId),
      );
      // Later than the audit's grace: the target item is old enough to audit.
      const later = await hubWiring({
        clients: { eventBridge: client(EventBridgeClient, cloud.bus.endpoint), sts: client(STSClient, cloud.sim.url) },
        homeAccountId: SECURITY,
        clock: { now: () => new Date(Date.now() + 30 * 60_000) },
        logger: new Logger({ serviceName: 'organization-test', logLevel: 'SILENT' }),
      });
      try {
        const memberDeps = await later.depsFor({ accountId: MEMBER, region: DUBLIN });
        if (memberDeps === undefined) throw new Error('the member is in the document');

        const summary = await handleScheduledSweep(scheduledEvent('audit-1'), memberDeps, {
          ledger: memberDeps.sweepLedger,
          targetOwnerView: memberDeps.targetOwnerView,
        });

        expect(summary.decisions.filter((decision) => decision.reason === 'target-source-orphaned')).toEqual([]);
        // Every session on the target, as its owner sees them: both accounts' (earlier tests' too: one cloud).
        const onTarget = await clientIn('test', DUBLIN).send(
          new DescribeTrafficMirrorSessionsCommand({
            Filters: [{ Name: 'traffic-mirror-target-id', Values: [targets[DUBLIN] as string] }],
          }),
        );
        const sources = new Set((onTarget.TrafficMirrorSessions ?? []).map((session) => session.NetworkInterfaceId));
        expect([...sources]).toEqual(expect.arrayContaining([member.eniIds[0], home.eniIds[0]]));
        expect((await targetLoads(cloud)).get(targets[DUBLIN] as string)).toEqual({ count: sources.size, sources: [] });
      } finally {
        later.destroy();
      }
    });

    it("takes as its own only the sessions its account made, not a member's it sees on the target it shares", async () => {
      const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const home = await seederIn('test', DUBLIN).launch(TAGGED);
      await invoke(
        runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId),
        runningIn({ accountId: SECURITY, region: DUBLIN }, home.instanceId),
      );
      const homeDeps = await wiring.depsFor({ accountId: SECURITY, region: DUBLIN });
      if (homeDeps === undefined) throw new Error('the security account is in the document');

      const listed = (await homeDeps.ec2.listAccountSessions()).filter((session) => session.managed);

      expect(listed.map((session) => session.eniId)).toContain(home.eniIds[0]);
      expect(listed.filter((session) => member.eniIds.includes(session.eniId))).toEqual([]);
    });

    it('names the account and Region in every log line of a scope', async () => {
      const member = await seederIn(MEMBER_KEY, DUBLIN).launch(TAGGED);
      const deps = await wiring.depsFor({ accountId: MEMBER, region: DUBLIN });
      if (deps === undefined) throw new Error('the member is in the document');

      await handleTriggerEvent(sqsBatchOf(runningIn({ accountId: MEMBER, region: DUBLIN }, member.instanceId)), deps);

      const messages = lines.map((line) => line.message);
      expect(messages).toEqual(expect.arrayContaining(['decision', 'converged batch']));
      expect(lines.filter((line) => line.accountId !== MEMBER || line.region !== DUBLIN)).toEqual([]);
    });

    it('has nothing to converge in an account or Region the document does not list', async () => {
      expect(await wiring.depsFor({ accountId: '999988887777', region: DUBLIN })).toBeUndefined();
      expect(await wiring.depsFor({ accountId: MEMBER, region: 'ap-south-1' })).toBeUndefined();
    });
  });
});
