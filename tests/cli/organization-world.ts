/**
 * An organization for mirrorctl to work across, set up as the sandbox's organization stage sets it up
 * (local/sandbox/organization): a security account (the hub, its own spoke) and two members over two Regions, the
 * security account's NLB and GWLB-endpoint targets shared with the members through RAM, each account's own filter,
 * the document in SSM, and every account's fleet launched with that account's keys. The last member has no spoke
 * role. Nothing is converged yet: the functions are not deployed, mirrorctl reconcile does the converging.
 */
import { DEFAULT_ACCOUNT } from '../../local/cloud/synthetic-events';
import { FleetDriver } from '../../local/sandbox/fleet';
import { buildOrganizationScenario, type OrganizationScenario } from '../../local/sandbox/organization/scenario';
import {
  hubFunctionRoleArn,
  ORGANIZATION_PARAMETER,
  type OrganizationStage,
  operatorKey,
  setOrganizationStage,
} from '../../local/sandbox/organization/stage';
import { startTestCloud, type TestCloud } from '../support/test-cloud';

const HOME_REGION = 'eu-west-1';
/** The key mirrorctl signs with: it acts as the hub's function role, the principal every spoke role trusts. */
const HUB_KEY = 'hub-operator';
const OWNER_ID = 'vpc-mirror-orchestrator-test';
const SECRET = 'test';

export interface LaunchedIn {
  readonly name: string;
  readonly instanceId: string;
  readonly eniIds: readonly string[];
  readonly accountId: string;
  readonly region: string;
  readonly tagged: boolean;
  readonly instanceType: string;
}

export interface OrganizationWorld {
  readonly cloud: TestCloud;
  readonly scenario: OrganizationScenario;
  readonly stage: OrganizationStage;
  readonly securityAccountId: string;
  /** The member with a spoke role, and the member without one. */
  readonly memberAccountId: string;
  readonly deniedAccountId: string;
  readonly regions: readonly string[];
  readonly instances: readonly LaunchedIn[];
  readonly ownerId: string;
  /** The hub's environment for mirrorctl, pointing at this world. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startOrganizationWorld(): Promise<OrganizationWorld> {
  const securityAccountId = DEFAULT_ACCOUNT;
  const scenario = buildOrganizationScenario({ accounts: 3, regions: 2, securityAccountId, homeRegion: HOME_REGION });
  const members = scenario.accounts.filter((account) => account.role === 'member');
  const cloud = await startTestCloud({
    accountId: securityAccountId,
    accessKeys: {
      [HUB_KEY]: { accountId: securityAccountId, principalArn: hubFunctionRoleArn(securityAccountId) },
      ...Object.fromEntries(members.map((account) => [operatorKey(account), account.accountId])),
    },
  });
  const drivers = new Map<string, FleetDriver>();
  const driverFor = (accountId: string, region: string): FleetDriver => {
    const key = `${accountId}/${region}`;
    const account = scenario.accounts.find((candidate) => candidate.accountId === accountId);
    if (account === undefined) throw new Error(`account ${accountId} is not in the organization`);
    const driver =
      drivers.get(key) ??
      new FleetDriver({
        endpoint: cloud.sim.url,
        region,
        tagKey: 'traffic-mirror',
        tagValue: 'true',
        targetTagKey: 'traffic-mirror-target',
        untilTagKey: 'traffic-mirror-until',
        accessKeyId: operatorKey(account),
      });
    drivers.set(key, driver);
    return driver;
  };
  try {
    for (const account of members.filter((member) => member.hasSpokeRole)) {
      cloud.sim.addRole(`arn:aws:iam::${account.accountId}:role/${scenario.spokeRoleName}`, {
        trustedPrincipals: [hubFunctionRoleArn(securityAccountId)],
      });
    }
    const stage = await setOrganizationStage(
      scenario,
      { region: HOME_REGION, ec2Endpoint: cloud.sim.url, shareTarget: (targetId, share) => cloud.sim.shareTarget(targetId, share) },
      driverFor,
      new Map(),
    );
    const instances: LaunchedIn[] = [];
    for (const account of scenario.accounts) {
      for (const region of scenario.regions) {
        const specs = scenario.fleet.filter((spec) => spec.accountId === account.accountId && spec.region === region);
        const driver = driverFor(account.accountId, region);
        await driver.launch(specs.map((spec) => ({ ...spec, preexisting: false, handMadeSessions: 0 })));
        for (const spec of specs) {
          const launched = driver.launched.get(spec.name);
          if (launched === undefined) throw new Error(`${spec.name} was not launched`);
          instances.push({
            name: spec.name,
            instanceId: launched.instanceId,
            eniIds: launched.eniIds,
            accountId: account.accountId,
            region,
            tagged: spec.taggedAtLaunch,
            instanceType: spec.instanceType,
          });
        }
      }
    }
    await cloud.sim.settle();
    const denied = members.find((member) => !member.hasSpokeRole);
    const reachable = members.find((member) => member.hasSpokeRole);
    if (denied === undefined || reachable === undefined) throw new Error('the scenario has no member without a spoke role');
    return {
      cloud,
      scenario,
      stage,
      securityAccountId,
      memberAccountId: reachable.accountId,
      deniedAccountId: denied.accountId,
      regions: scenario.regions,
      instances,
      ownerId: OWNER_ID,
      env: {
        AWS_REGION: HOME_REGION,
        AWS_ACCESS_KEY_ID: HUB_KEY,
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_ENDPOINT_URL_EC2: cloud.sim.url,
        AWS_ENDPOINT_URL_STS: cloud.sim.url,
        AWS_ENDPOINT_URL_SSM: cloud.sim.url,
        AWS_ENDPOINT_URL_DYNAMODB: cloud.table.endpoint,
        AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.bus.endpoint,
        LEDGER_TABLE_NAME: cloud.table.tableName,
        EVENT_BUS_NAME: 'mirror-outcomes',
        MIRROR_OWNER_ID: OWNER_ID,
        MIRROR_ORGANIZATION_PARAMETER: ORGANIZATION_PARAMETER,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
      async stop() {
        for (const driver of drivers.values()) driver.close();
        await cloud.stop();
      },
    };
  } catch (error) {
    for (const driver of drivers.values()) driver.close();
    await cloud.stop();
    throw error;
  }
}
