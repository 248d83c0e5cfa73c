/**
 * The organization story as data: a security account (where the hub runs and the shared targets live) and member
 * accounts, over one or more Regions, each (account, Region) with a small fleet, and what happens to it step by
 * step. One member account has no spoke role: the hub reports it and converges the rest. Nothing here talks to a
 * server; the runner (./runner.ts) plays it.
 */
import type { StoryStep, Zone } from '../scenario';

/** Accounts and Regions the story can use: the first account is the security account, the first Region the hub's. */
export const MEMBER_ACCOUNT_IDS = [
  '444455556666',
  '777788889999',
  '222233334444',
  '555566667777',
  '888899990000',
  '333344445555',
  '666677778888',
  '999900001111',
  '123412341234',
] as const;
export const EXTRA_REGIONS = ['eu-west-1', 'ap-southeast-2', 'eu-central-1'] as const;

export const MIN_ACCOUNTS = 2;
export const MAX_ACCOUNTS = MEMBER_ACCOUNT_IDS.length + 1;
export const MAX_REGIONS = EXTRA_REGIONS.length + 1;
export const DEFAULT_ACCOUNTS = 3;

export interface OrganizationAccount {
  readonly accountId: string;
  /** Short label used in instance names and the log: sec, m1, m2, ... */
  readonly label: string;
  readonly role: 'security' | 'member';
  /** False for the member whose spoke stack (and so its role) was never deployed. */
  readonly hasSpokeRole: boolean;
}

/** Why an instance is in an account's fleet, and so what the story expects for it. */
export type OrganizationRole = 'mirrored' | 'untagged' | 'unsupported-type';

export interface ScopedInstanceSpec {
  readonly accountId: string;
  readonly region: string;
  /** Unique over the organization: `<account label>.<region label>.<kind>`, e.g. m1.euw1.web. */
  readonly name: string;
  readonly role: OrganizationRole;
  readonly instanceType: string;
  readonly zone: Zone;
  readonly eniCount: 1 | 2;
  readonly taggedAtLaunch: boolean;
}

export type OrganizationAction =
  | { readonly kind: 'launch' }
  | { readonly kind: 'untag'; readonly names: readonly string[] }
  | { readonly kind: 'sweep' };

export interface OrganizationStep extends Omit<StoryStep, 'actions'> {
  readonly actions: readonly OrganizationAction[];
}

export interface OrganizationScenario {
  readonly accounts: readonly OrganizationAccount[];
  readonly regions: readonly string[];
  readonly fleet: readonly ScopedInstanceSpec[];
  readonly story: readonly OrganizationStep[];
  /** The spoke role every member's stack creates (the organization document's spokeRoleName). */
  readonly spokeRoleName: string;
}

export interface OrganizationScenarioOptions {
  /** Accounts in all, the security account included (>= 2: someone to mirror besides the hub's own). */
  readonly accounts: number;
  readonly regions: number;
  readonly securityAccountId: string;
  /** The hub's Region (the local cloud's). */
  readonly homeRegion: string;
}

export const SPOKE_ROLE_NAME = 'vpc-mirror-orchestrator-spoke';

/** us-east-1 -> use1, eu-west-1 -> euw1, ap-southeast-2 -> apse2. */
export function regionLabel(region: string): string {
  const [area = '', direction = '', number = ''] = region.split('-');
  const compass = direction
    .replace(/north/, 'n')
    .replace(/south/, 's')
    .replace(/east/, 'e')
    .replace(/west/, 'w')
    .replace(/central/, 'c');
  return `${area}${compass}${number}`;
}

export function buildOrganizationScenario(options: OrganizationScenarioOptions): OrganizationScenario {
  if (!Number.isInteger(options.accounts) || options.accounts < MIN_ACCOUNTS || options.accounts > MAX_ACCOUNTS) {
    throw new RangeError(`accounts must be an integer ${MIN_ACCOUNTS}..${MAX_ACCOUNTS} (got ${options.accounts})`);
  }
  if (!Number.isInteger(options.regions) || options.regions < 1 || options.regions > MAX_REGIONS) {
    throw new RangeError(`regions must be an integer 1..${MAX_REGIONS} (got ${options.regions})`);
  }
  const members = MEMBER_ACCOUNT_IDS.filter((id) => id !== options.securityAccountId).slice(0, options.accounts - 1);
  const accounts: OrganizationAccount[] = [
    { accountId: options.securityAccountId, label: 'sec', role: 'security', hasSpokeRole: true },
    // The last member never deployed its spoke stack: its role is missing (with 2 accounts, the only member).
    ...members.map((accountId, index) => ({
      accountId,
      label: `m${index + 1}`,
      role: 'member' as const,
      hasSpokeRole: index < members.length - 1,
    })),
  ];
  const regions = [options.homeRegion, ...EXTRA_REGIONS.filter((region) => region !== options.homeRegion)].slice(0, options.regions);

  const fleet = accounts.flatMap((account) =>
    regions.flatMap((region) => {
      const prefix = `${account.label}.${regionLabel(region)}`;
      const spec = (kind: string, role: OrganizationRole, instanceType: string, zone: Zone, eniCount: 1 | 2 = 1): ScopedInstanceSpec => ({
        accountId: account.accountId,
        region,
        name: `${prefix}.${kind}`,
        role,
        instanceType,
        zone,
        eniCount,
        taggedAtLaunch: role !== 'untagged',
      });
      return [
        spec('web', 'mirrored', 'm5.large', 'a'),
        spec('app', 'mirrored', 'c5.xlarge', 'b', 2),
        spec('batch', 'untagged', 't3.small', 'a'),
        spec('legacy', 'unsupported-type', 't2.medium', 'b'),
      ];
    }),
  );

  const reachable = accounts.filter((account) => account.hasSpokeRole);
  const denied = accounts.filter((account) => !account.hasSpokeRole);
  const untagAccount = reachable.find((account) => account.role === 'member') ?? reachable[0];
  const untagRegion = regions.at(-1) as string;
  const untagged = `${untagAccount?.label}.${regionLabel(untagRegion)}.app`;
  const deniedLabels = denied.map((account) => account.label).join(', ');

  const story: OrganizationStep[] = [
    {
      title: 'launch every fleet, in every account and Region',
      expect:
        `the events of each account and Region reach the hub; ${reachable.map((a) => a.label).join(', ')} are mirrored in ` +
        `their own account and Region, on the security account's shared targets; ${deniedLabels} has no spoke role: ` +
        'reported (spoke-access-denied), nothing made there, the rest converges',
      actions: [{ kind: 'launch' }],
    },
    {
      title: `untag ${untagged}`,
      expect: `both its sessions are removed in ${untagAccount?.label}'s account, in ${untagRegion}; nothing else changes`,
      actions: [{ kind: 'untag', names: [untagged] }],
    },
    {
      title: 'the scheduled sweep',
      expect: `the sweep covers every account and Region, reports ${deniedLabels} again and finds everything else converged`,
      actions: [{ kind: 'sweep' }],
    },
  ];

  return { accounts, regions, fleet, story, spokeRoleName: SPOKE_ROLE_NAME };
}
