/**
 * mirrorctl across an organization, against the simulator holding a security account and two members in two Regions
 * (tests/cli/organization-world.ts, the sandbox's organization stage): every scope of the document by default, each
 * converged and read with its own spoke role, narrowed by --account / --region, and the member whose spoke role is
 * missing reported by account and Region (exit 3) while the rest is shown.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { run } from '../../cli/main';
import type { PlanReport } from '../../cli/views/plan';
import type { ReconcileReport } from '../../cli/views/reconcile';
import type { CoverageReport } from '../../cli/views/report';
import type { StatusReport } from '../../cli/views/status';
import { useScratchDir } from '../support/scratch-dir';
import { captureIo } from './cli-io';
import { type OrganizationWorld, startOrganizationWorld } from './organization-world';

const OWNER_TAG = 'vpc-mirror-orchestrator:owner';

const scratch = useScratchDir('mirrorctl-organization-');
let world: OrganizationWorld;
let reconciled: { exitCode: number; report: ReconcileReport };

async function mirrorctl<T>(...args: string[]) {
  const io = captureIo({ env: { ...process.env } });
  const exitCode = await run(args, io);
  const json = args.includes('--json') || args.includes('json');
  return { exitCode, report: (json ? io.json<T>() : undefined) as T, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Our sessions in one account and Region, as that account sees them. */
function managedSessionsIn(accountId: string, region: string) {
  return world.cloud.sim.snapshot({ accountId, region }).sessions.filter((session) => session.tags[OWNER_TAG] === world.ownerId);
}

const scopeOf = (row: { accountId?: string; region?: string }) => `${row.accountId}/${row.region}`;

beforeAll(async () => {
  world = await startOrganizationWorld();
  Object.assign(process.env, world.env);
  reconciled = await mirrorctl<ReconcileReport>('reconcile', '--json');
}, 120_000);

afterAll(async () => {
  await world?.stop();
});

describe('mirrorctl across an organization', () => {
  it('reconciles every account and Region of the document with its own spoke role, and reports the one without', () => {
    const { exitCode, report } = reconciled;
    const denied = world.deniedAccountId;

    expect(exitCode).toBe(3);
    expect(report.scopes?.map((scope) => [scope.accountId, scope.region, scope.outcome])).toEqual(
      [world.securityAccountId, world.memberAccountId, denied].flatMap((accountId) =>
        world.regions.map((region) => [accountId, region, accountId === denied ? 'spoke-access-denied' : 'read']),
      ),
    );
    for (const scope of report.scopes?.filter((candidate) => candidate.outcome !== 'read') ?? []) {
      expect(scope.detail).toContain(`arn:aws:iam::${denied}:role/${world.scenario.spokeRoleName}`);
    }
    // Each attach names its scope, and the session is in the account and Region of its source ENI.
    for (const instance of world.instances.filter((candidate) => candidate.accountId !== denied)) {
      const attached = report.decisions.filter((record) => record.instanceId === instance.instanceId && record.action === 'attach');
      expect(attached.map(scopeOf)).toEqual(attached.map(() => `${instance.accountId}/${instance.region}`));
      const mirrored = managedSessionsIn(instance.accountId, instance.region).filter((session) =>
        instance.eniIds.includes(session.networkInterfaceId),
      );
      const eligible = instance.tagged && instance.instanceType !== 't2.medium';
      expect({ name: instance.name, sessions: mirrored.length }).toEqual({
        name: instance.name,
        sessions: eligible ? instance.eniIds.length : 0,
      });
    }
    for (const region of world.regions) expect(managedSessionsIn(denied, region)).toEqual([]);
    // Every decision is made in its instance's own scope: the owner of the shared targets sees the members' sessions
    // on them, yet converges (and records) nothing for instances that are not its own.
    const homeOf = new Map(world.instances.map((instance) => [instance.instanceId, `${instance.accountId}/${instance.region}`]));
    expect(report.decisions.filter((record) => scopeOf(record) !== homeOf.get(record.instanceId))).toEqual([]);
    expect(report.decisions.some((record) => record.accountId === denied)).toBe(false);
  });

  it("converges nothing of the members' in the account that owns the shared targets, though it sees their sessions", async () => {
    // The first reconcile visited the security account before the members had sessions; now its listing names them.
    const again = await mirrorctl<ReconcileReport>('reconcile', '--json', '--account', world.securityAccountId);
    const members = new Set(world.instances.filter((instance) => instance.accountId !== world.securityAccountId).map((i) => i.instanceId));
    const history = await world.cloud.documents.send(
      new ScanCommand({
        TableName: world.cloud.table.tableName,
        FilterExpression: 'begins_with(pk, :history)',
        ExpressionAttributeValues: { ':history': 'history#' },
      }),
    );

    expect(again.exitCode).toBe(0);
    expect(again.report.decisions.filter((record) => members.has(record.instanceId))).toEqual([]);
    expect((history.Items ?? []).filter((item) => members.has(String(item.instanceId)))).toEqual([]);
  });

  it('publishes outcome events naming the account and Region of each change', () => {
    const attaches = world.cloud.bus.events.filter((event) => event.detail.action === 'attach');
    const memberRegions = new Set(attaches.filter((event) => event.detail.accountId === world.memberAccountId).map((e) => e.detail.region));

    expect(attaches.length).toBe(reconciled.report.totals.attach);
    expect([...memberRegions].sort()).toEqual([...world.regions].sort());
  });

  it('shows every scope in sync after reconcile, grouped by account and Region, and the denied scope as a finding', async () => {
    const { exitCode, report } = await mirrorctl<StatusReport>('status', '--json');

    expect(exitCode).toBe(3);
    expect(report.drift.total).toBe(0);
    const shown = new Set(report.instances.map(scopeOf));
    expect([...shown].sort()).toEqual(
      [world.securityAccountId, world.memberAccountId]
        .flatMap((accountId) => world.regions.map((region) => `${accountId}/${region}`))
        .sort(),
    );
    for (const instance of report.instances) {
      expect(world.instances.find((launched) => launched.instanceId === instance.instanceId)).toMatchObject({
        accountId: instance.accountId,
        region: instance.region,
      });
    }
    expect(report.findings.scopes?.map((problem) => [problem.accountId, problem.region, problem.kind])).toEqual(
      world.regions.map((region) => [world.deniedAccountId, region, 'spoke-access-denied']),
    );
    expect(report.findings.configuration).toEqual([]);
  });

  it('narrows to the accounts and Regions named with --account and --region', async () => {
    const [, otherRegion] = world.regions;
    const { exitCode, report } = await mirrorctl<PlanReport>(
      'plan',
      '--json',
      '--account',
      world.memberAccountId,
      '--region',
      `${otherRegion}`,
    );

    expect(exitCode).toBe(0);
    expect(report.scopes).toEqual([{ accountId: world.memberAccountId, region: otherRegion, outcome: 'read' }]);
    const expected = world.instances.filter(
      (instance) => instance.accountId === world.memberAccountId && instance.region === otherRegion && instance.tagged,
    );
    expect(report.instances.map((instance) => instance.instanceId).sort()).toEqual(expected.map((instance) => instance.instanceId).sort());
    expect(report.totals.attach).toBe(0);
  });

  it('takes comma lists: two accounts in one Region', async () => {
    const [home] = world.regions;
    const accounts = `${world.securityAccountId},${world.deniedAccountId}`;

    const { exitCode, stdout } = await mirrorctl('status', '--account', accounts, '--region', `${home}`);

    expect(exitCode).toBe(3);
    expect(stdout).toContain(`── account ${world.securityAccountId} Region ${home}`);
    expect(stdout).toContain(`spoke-access-denied ${world.deniedAccountId} ${home}: not shown:`);
    expect(stdout).not.toContain(`account ${world.memberAccountId}`);
    expect(stdout).toMatch(/1 problem\(s\) reconcile cannot fix: correct the configuration, the spoke roles or the ids \(exit code 3\)/);
  });

  it('prints the account and Region of each row of the plan', async () => {
    const { stdout } = await mirrorctl('plan', '--account', world.memberAccountId);
    const [header] = stdout.split('\n').filter((line) => line.includes('Instance'));

    expect(header).toMatch(/│ Account\s+│ Region\s+│ Instance\s+│/);
    expect(stdout).toContain('of the organization (2 of 2 read)');
    for (const region of world.regions) expect(stdout).toMatch(new RegExp(`│ ${world.memberAccountId} │ ${region}\\s+│ i-`));
  });

  it("reports every scope's coverage and the history of each, naming the account and Region", async () => {
    const { exitCode, report, stderr } = await mirrorctl<CoverageReport>('report', '--format', 'json');

    expect(exitCode).toBe(3);
    expect(stderr).toContain(`spoke-access-denied ${world.deniedAccountId}`);
    expect(report.coverage.byRegion.map((group) => [group.key, group.percent])).toEqual(
      [...world.regions].sort().map((region) => [region, 100]),
    );
    expect(report.coverage.byAccount.map((group) => group.key)).toEqual([world.memberAccountId, world.securityAccountId].sort());
    // Attaches in the member's scopes are written under the scope's keys: the report still finds their intervals.
    const memberIntervals = report.intervals.filter((interval) => interval.accountId === world.memberAccountId);
    const memberAttaches = reconciled.report.decisions.filter(
      (record) => record.accountId === world.memberAccountId && record.action === 'attach',
    );
    expect(memberIntervals.map((interval) => interval.sessionId).sort()).toEqual(memberAttaches.map((record) => record.sessionId).sort());
    expect(new Set(report.intervals.map(scopeOf)).size).toBe(4);
  });

  it('puts the Region of each row in the CSV', async () => {
    const { stdout } = await mirrorctl('report', '--format', 'csv', '--region', world.regions[1] as string);
    const [header, ...rows] = stdout.trim().split('\r\n');
    const columns = header?.split(',') ?? [];
    const eniRows = rows.map((row) => row.split(',')).filter((cells) => cells[0] === 'eni');

    expect(columns.at(-1)).toBe('region');
    expect(eniRows.length).toBeGreaterThan(0);
    expect(new Set(eniRows.map((cells) => cells.at(-1)))).toEqual(new Set([world.regions[1]]));
  });

  it('lists coverage per Region and the accounts and Regions it could not read in the HTML report', async () => {
    const output = path.join(scratch(), 'organization.html');

    const { exitCode } = await mirrorctl('report', '--output', output);
    const html = readFileSync(output, 'utf8');

    expect(exitCode).toBe(3);
    for (const region of world.regions) expect(html).toContain(`<td>${region}</td><td class="num">`);
    expect(html).toContain('2 account(s) and Region(s) of the organization could not be read and are not counted above.');
    expect(html).toContain(`<td>${world.deniedAccountId}</td><td>${world.regions[0]}</td><td>spoke-access-denied</td>`);
  });

  it('refuses an account or Region the document does not list, naming the document', async () => {
    const account = await mirrorctl('status', '--account', '999999999999');
    const region = await mirrorctl('status', '--region', 'sa-east-1');

    expect(account.exitCode).toBe(2);
    expect(account.stderr).toContain('--account 999999999999: not in the organization document /vpc-mirror-orchestrator/organization');
    expect(region.exitCode).toBe(2);
    expect(region.stderr).toContain('--region sa-east-1: not in the organization document');
  });
});

describe('mirrorctl with a spoke role that does not trust the hub', () => {
  it('reports the scope as denied, naming the account and Region, and shows the others', async () => {
    // The member deployed its spoke stack, but with another account's role as the only trusted principal.
    world.cloud.sim.addRole(`arn:aws:iam::${world.deniedAccountId}:role/${world.scenario.spokeRoleName}`, {
      trustedPrincipals: ['arn:aws:iam::999988887777:role/someone-else'],
    });

    const { exitCode, report } = await mirrorctl<StatusReport>(
      'status',
      '--json',
      '--account',
      `${world.deniedAccountId},${world.memberAccountId}`,
    );

    expect(exitCode).toBe(3);
    expect(report.scopes?.map((scope) => [scope.accountId, scope.outcome])).toEqual([
      ...world.regions.map(() => [world.memberAccountId, 'read']),
      ...world.regions.map(() => [world.deniedAccountId, 'spoke-access-denied']),
    ]);
    expect(report.instances.length).toBeGreaterThan(0);
    expect(report.instances.every((instance) => instance.accountId === world.memberAccountId)).toBe(true);
  });
});

describe('mirrorctl without an organization document', () => {
  const single = () => {
    const { MIRROR_ORGANIZATION_PARAMETER: _, ...env } = process.env;
    return { ...env, MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0', MIRROR_FILTER_ID: 'tmf-0123456789abcdef0' };
  };

  it('refuses several Regions and --account, saying they need a document', async () => {
    const regions = captureIo({ env: single() });
    const account = captureIo({ env: single() });

    expect(await run(['plan', '--region', 'eu-west-1,us-east-1'], regions)).toBe(2);
    expect(await run(['plan', '--account', '444455556666'], account)).toBe(2);
    expect(regions.stderrText()).toContain('several Regions need an organization document');
    expect(account.stderrText()).toContain('--account needs an organization document');
  });
});
