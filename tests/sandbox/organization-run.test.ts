/**
 * The sandbox's organization story, played for real (dynalite, the EC2 simulator with several accounts and Regions,
 * STS and SSM, the bus and the hub's handlers in child processes): the security account and two members over two
 * Regions, the last member without its spoke role. Checked on each account's own EC2 world, not on what is printed.
 */
import type { MirrorWorld, WorldSession } from '../../local/oracle';
import { type OrganizationRun, runOrganizationSandbox } from '../../local/sandbox/organization/runner';
import { regionLabel } from '../../local/sandbox/organization/scenario';
import { OWNER_TAG } from '../../shared/aws/ownership';

jest.setTimeout(180_000);

describe('the sandbox organization story: 3 accounts, 2 Regions', () => {
  let run: OrganizationRun;

  beforeAll(async () => {
    run = await runOrganizationSandbox({ accounts: 3, regions: 2, seed: 3 });
  });

  const account = (label: string) => {
    const found = run.scenario.accounts.find((candidate) => candidate.label === label);
    if (!found) throw new Error(`no account ${label}`);
    return found;
  };
  const worldOf = (accountId: string, region: string): MirrorWorld => {
    const world = run.worlds.get(`${accountId}/${region}`);
    if (!world) throw new Error(`no world for ${accountId} in ${region}`);
    return world;
  };
  /** The instance's ENIs as its own account sees them; throws rather than answering [] (a loop over none checks nothing). */
  const enisOf = (name: string): string[] => {
    const spec = run.scenario.fleet.find((candidate) => candidate.name === name);
    const instanceId = run.instanceIds.get(name);
    if (!spec || !instanceId) throw new Error(`${name} was not launched`);
    const eniIds = worldOf(spec.accountId, spec.region)
      .instances.find((i) => i.instanceId === instanceId)
      ?.networkInterfaces.map((e) => e.eniId);
    if (!eniIds || eniIds.length === 0) throw new Error(`${name} has no network interface in its account's world`);
    return eniIds;
  };
  const managed = (world: MirrorWorld, eniId: string): WorldSession[] =>
    world.sessions.filter((session) => session.eniId === eniId && session.tags[OWNER_TAG] !== undefined);

  it('plays to the end with every invariant holding after every step', () => {
    expect(run.scenario.regions).toHaveLength(2);
    expect(run.summary.stepChecks.map((check) => check.violations)).toEqual(run.scenario.story.map(() => []));
    expect(run.summary.invariants.violations).toEqual([]);
    expect(run.summary.ok).toBe(true);
  });

  it("makes each session in the source ENI's own account and Region, on a target the security account shares", () => {
    for (const label of ['sec', 'm1']) {
      const { accountId } = account(label);
      for (const region of run.scenario.regions) {
        const shared = run.stage.regions.find((stage) => stage.region === region)?.targetIds ?? [];
        const world = worldOf(accountId, region);
        for (const eniId of enisOf(`${label}.${regionLabel(region)}.web`)) {
          expect(managed(world, eniId)).toHaveLength(1);
          expect(shared).toContain(managed(world, eniId)[0]?.targetId);
        }
      }
    }
    const memberFilters = run.stage.regions.map((stage) => stage.filterIdByAccount.get(account('m1').accountId));
    const memberSessions = run.scenario.regions.flatMap((region) => worldOf(account('m1').accountId, region).sessions);
    expect(memberSessions.length).toBeGreaterThan(0);
    for (const session of memberSessions) expect(memberFilters).toContain(session.filterId);
  });

  it("counts the member's sources on the security account's shared targets", () => {
    const memberEnis = new Set(
      run.scenario.regions.flatMap((region) => worldOf(account('m1').accountId, region).sessions.map((s) => s.eniId)),
    );
    const sharedTargets = run.summary.targets.filter((target) =>
      run.stage.regions.some((stage) => stage.targetIds.includes(target.targetId)),
    );
    const sources = sharedTargets.reduce((sum, target) => sum + target.sources, 0);
    const securityEnis = run.scenario.regions.flatMap((region) => worldOf(account('sec').accountId, region).sessions).length;

    expect(memberEnis.size).toBeGreaterThan(0);
    expect(sources).toBe(securityEnis + memberEnis.size);
  });

  it('removes the sessions of an untagged member instance in its own Region, and nowhere else', () => {
    const untagged = `m1.${regionLabel(run.scenario.regions[1] as string)}.app`;
    const world = worldOf(account('m1').accountId, run.scenario.regions[1] as string);

    expect(enisOf(untagged)).toHaveLength(2);
    for (const eniId of enisOf(untagged)) expect(managed(world, eniId)).toEqual([]);
    expect(
      enisOf(`m1.${regionLabel(run.scenario.regions[0] as string)}.app`).flatMap((eniId) =>
        managed(worldOf(account('m1').accountId, run.scenario.regions[0] as string), eniId),
      ),
    ).toHaveLength(2);
  });

  it('reports the member whose spoke role is missing, in each Region, and makes nothing there', () => {
    const m2 = account('m2');
    const report = run.summary.accounts?.find((candidate) => candidate.accountId === m2.accountId);

    expect(m2.hasSpokeRole).toBe(false);
    for (const region of run.scenario.regions) expect(worldOf(m2.accountId, region).sessions).toEqual([]);
    expect(report?.ok).toBe(true);
    for (const region of run.scenario.regions) {
      expect(
        report?.denialReports.some((line) => line.includes(m2.accountId) && line.includes(region) && line.includes('spoke-access-denied')),
      ).toBe(true);
    }
  });

  // The security account, as the shared targets' owner, sees every member's sessions on them in its
  // DescribeTrafficMirrorSessions (AWS's RAM visibility, modelled by the simulator): its sweep must not take them for
  // its own (the EC2 adapter keeps only sessions whose OwnerId is the scope's account) nor converge the members'
  // instances there, where DescribeInstances does not find them.
  it("never converges a member's instance in the security account, where its sessions are only seen", () => {
    const running = new Set(run.world.instances.filter((instance) => instance.state === 'running').map((instance) => instance.instanceId));

    const gone = run.summary.decisions.filter((decision) => decision.reason === 'instance-gone' && running.has(decision.instanceId));

    expect(gone).toEqual([]);
  });

  it('leaves untagged and unsupported instances unmirrored in every account', () => {
    for (const spec of run.scenario.fleet.filter((candidate) => candidate.role !== 'mirrored')) {
      const world = worldOf(spec.accountId, spec.region);
      for (const eniId of enisOf(spec.name)) expect(world.sessions.filter((session) => session.eniId === eniId)).toEqual([]);
    }
  });
});
