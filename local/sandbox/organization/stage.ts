/**
 * The organization before the hub is deployed, made as an operator would on AWS: in each Region the security
 * account creates the capture targets (an NLB and a GWLB endpoint) and shares them through AWS RAM with every
 * member; every account makes its own filter in each Region (RAM shares targets, not filters); the organization
 * document goes into SSM Parameter Store in the hub's account and Region. Everything through the real SDKs against
 * the simulator, except the RAM share itself (the simulator serves no RAM API).
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_MUTATING_SHARE } from '../../../shared/config/organization';
import type { SandboxCloud } from '../cloud';
import type { FleetDriver } from '../fleet';
import type { OrganizationAccount, OrganizationScenario } from './scenario';
import { regionLabel } from './scenario';

export const ORGANIZATION_PARAMETER = '/vpc-mirror-orchestrator/organization';
/** The hub's function role: the only principal every spoke role trusts (deploy/spoke.yml HubFunctionRoleArns). */
export const hubFunctionRoleArn = (securityAccountId: string): string =>
  `arn:aws:iam::${securityAccountId}:role/vpc-mirror-orchestrator-hub-functions`;

/** The access key an account's operator uses (the simulator maps it to the account). */
export const operatorKey = (account: OrganizationAccount): string =>
  account.role === 'security' ? 'sandbox' : `sandbox-${account.accountId}`;

export interface RegionStage {
  readonly region: string;
  /** The security account's targets, shared with every member: [nlb, gwlbe]. */
  readonly targetIds: readonly string[];
  /** Each account's own filter in this Region. */
  readonly filterIdByAccount: ReadonlyMap<string, string>;
}

export interface OrganizationStage {
  readonly regions: readonly RegionStage[];
  /** The document as it was put in SSM. */
  readonly document: Readonly<Record<string, unknown>>;
}

export type DriverFor = (accountId: string, region: string) => FleetDriver;

/** What the stage needs of the cloud: the sandbox's, or a test's simulator alike. */
export type StageCloud = Pick<SandboxCloud, 'region' | 'ec2Endpoint' | 'shareTarget'>;

export async function setOrganizationStage(
  scenario: OrganizationScenario,
  cloud: StageCloud,
  driverFor: DriverFor,
  targetLabels: Map<string, string>,
): Promise<OrganizationStage> {
  const security = scenario.accounts.find((account) => account.role === 'security');
  if (!security) throw new Error('the organization has no security account');
  const regions: RegionStage[] = [];
  for (const region of scenario.regions) {
    const owner = driverFor(security.accountId, region);
    const label = regionLabel(region);
    const nlb = await owner.createLoadBalancerTarget(
      `arn:aws:elasticloadbalancing:${region}:${security.accountId}:loadbalancer/net/ids-${label}/0123456789abcdef`,
    );
    const gwlbe = await owner.createGatewayLoadBalancerEndpointTarget(`vpce-0${regionIndexHex(scenario, region)}123456789abcdef`);
    targetLabels.set(nlb, `${label}.nlb`);
    targetLabels.set(gwlbe, `${label}.gwlbe`);
    for (const member of scenario.accounts.filter((account) => account.role === 'member')) {
      for (const targetId of [nlb, gwlbe]) cloud.shareTarget(targetId, { withAccountId: member.accountId, region });
    }
    const filterIdByAccount = new Map<string, string>();
    for (const account of scenario.accounts) {
      filterIdByAccount.set(account.accountId, await driverFor(account.accountId, region).createFilter());
    }
    regions.push({ region, targetIds: [nlb, gwlbe], filterIdByAccount });
  }
  const document = organizationDocument(scenario, security.accountId, regions);
  const ssm = new SSMClient({
    endpoint: cloud.ec2Endpoint,
    region: cloud.region,
    credentials: { accessKeyId: operatorKey(security), secretAccessKey: 'sandbox' },
  });
  try {
    await ssm.send(
      new PutParameterCommand({ Name: ORGANIZATION_PARAMETER, Type: 'String', Value: JSON.stringify(document), Overwrite: true }),
    );
  } finally {
    ssm.destroy();
  }
  return { regions, document };
}

/**
 * The organization document (shared/config/organization.ts): every account of the story, the security account
 * included (the hub is its own spoke), and each Region's shared pool. A session takes a filter of the account it is
 * made in, so each Region names the security account's filter and, per account, that account's own.
 */
function organizationDocument(
  scenario: OrganizationScenario,
  securityAccountId: string,
  regions: readonly RegionStage[],
): Record<string, unknown> {
  return {
    spokeRoleName: scenario.spokeRoleName,
    accounts: scenario.accounts.map((account) => account.accountId),
    mutatingShare: DEFAULT_MUTATING_SHARE,
    regions: Object.fromEntries(
      regions.map((stage) => [
        stage.region,
        {
          targetIds: stage.targetIds,
          filterId: stage.filterIdByAccount.get(securityAccountId),
          accountFilterIds: Object.fromEntries(stage.filterIdByAccount),
        },
      ]),
    ),
  };
}

/** A hex digit per Region, so each Region's GWLB endpoint id differs. */
function regionIndexHex(scenario: OrganizationScenario, region: string): string {
  return scenario.regions.indexOf(region).toString(16);
}
