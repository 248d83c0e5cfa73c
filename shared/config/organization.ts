/**
 * The organization document: which member accounts and Regions one hub mirrors, each Region's target pool and
 * filter, and the settings that otherwise come from the flat MIRROR_* variables. It is JSON in SSM Parameter Store
 * (MIRROR_ORGANIZATION_PARAMETER names the parameter). A malformed document is refused with a ConfigError whose
 * message names the parameter and the JSON path of the first problem, e.g.
 * `/mirror/organization: $.regions["us-east-1"].targetIds[0]: "tmt-1" is not a traffic mirror target id ...`.
 * Unknown fields are refused too: a misspelt setting would otherwise be silently ignored.
 */
import * as z from 'zod/mini';
import { ConfigError } from '../domain/errors';
import { MAX_PACKET_LENGTH, MIN_PACKET_LENGTH } from '../domain/mirroring-limits';
import { MAX_SESSION_NUMBER, MIN_SESSION_NUMBER } from '../domain/session-number';
import type { EniScope } from '../domain/types';
import { type Config, FILTER_ID_PATTERN, TARGET_ID_PATTERN } from './config';

/** The environment variable naming the SSM parameter that holds the document. */
export const ORGANIZATION_PARAMETER_VARIABLE = 'MIRROR_ORGANIZATION_PARAMETER';

/** The targets reserved for one Availability Zone, by its zone id (e.g. use1-az1: the same zone in every account). */
export interface OrganizationZone {
  readonly targetIds: readonly string[];
}

export interface OrganizationRegion {
  readonly targetIds: readonly string[];
  /** The filter sessions use; RAM does not share filters, so each member account may name its own below. */
  readonly filterId: string;
  /** Account id -> that account's filter in this Region (filters are per account); others use `filterId`. */
  readonly accountFilterIds: Readonly<Record<string, string>>;
  readonly zones: Readonly<Record<string, OrganizationZone>>;
}

export interface Organization {
  /** The role every spoke stack creates; the hub assumes arn:aws:iam::<account>:role/<spokeRoleName>. */
  readonly spokeRoleName: string;
  /** Accounts mirrored by id; the hub's own account is mirrored only when listed (here or under a listed OU). */
  readonly accounts: readonly string[];
  /**
   * OUs (or the root) whose ACTIVE accounts are mirrored too, child OUs included: resolved through AWS Organizations
   * (shared/converge/mirrored-accounts.ts). Empty: the accounts above only.
   */
  readonly organizationalUnits: readonly string[];
  /** Accounts never mirrored, even under a listed OU. */
  readonly excludedAccounts: readonly string[];
  readonly regions: Readonly<Record<string, OrganizationRegion>>;
  /** Share (0..1] of each account's EC2 mutating budget (per account and Region) the hub may spend. */
  readonly mutatingShare: number;
  readonly tagKey?: string;
  readonly tagValue?: string;
  readonly eniScope?: EniScope;
  readonly sessionNumber?: number;
  readonly virtualNetworkId?: number;
  readonly packetLength?: number;
  readonly allowedOverrideTargetIds?: readonly string[];
  readonly allowedOverrideFilterIds?: readonly string[];
  readonly supportedTypes?: readonly string[];
  readonly unsupportedTypes?: readonly string[];
  readonly stopPolicy?: 'detach' | 'keep';
}

/** One (account, Region) the hub converges: the unit of credentials, EC2 budget, ledger slots and sweep cursor. */
export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export const DEFAULT_MUTATING_SHARE = 0.5;

export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** Organizations' ParentId: an OU (ou-<root part>-<OU part>) or the root (r-...), lowercase letters and digits. */
export const ORGANIZATIONAL_UNIT_ID_PATTERN = /^(?:ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/;
/** Commercial, GovCloud, China and ISO partitions: two or more letter groups and a number, e.g. us-gov-west-1. */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** The scope these name, when they are an account id and a Region name; undefined otherwise. */
export function scopeOf(accountId: unknown, region: unknown): Scope | undefined {
  if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId) || typeof region !== 'string' || !REGION_PATTERN.test(region))
    return undefined;
  return { accountId, region };
}
const ZONE_ID_PATTERN = /^[a-z]{2,4}\d{1,2}(?:-[a-z]{3}\d{1,2})?-az\d{1,2}$/;
/** IAM role names: 1..64 of letters, digits and +=,.@_- (a role path is not supported: the ARN is built from the name). */
const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const INSTANCE_TYPE_OR_FAMILY_PATTERN = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)?$/;
const MAX_VNI = 16_777_215;

const quoted = (value: unknown): string => JSON.stringify(value);

/** A JSON object keyed by names of one kind; a bad key is reported at its own path, with the rule it breaks. */
function keyedBy<T extends z.ZodMiniType>(pattern: RegExp, what: string, value: T) {
  return z.record(z.string(), value, { error: (issue) => `must be a JSON object, got ${quoted(issue.input)}` }).check(
    z.check<Record<string, unknown>>((ctx) => {
      const bad = Object.keys(ctx.value).find((key) => !pattern.test(key));
      if (bad !== undefined) ctx.issues.push({ code: 'custom', input: bad, path: [bad], message: `${quoted(bad)} is not ${what}` });
    }),
  );
}

function matching(pattern: RegExp, what: string) {
  return z
    .string({ error: (issue) => `must be ${what}, got ${quoted(issue.input)}` })
    .check(z.refine((value) => pattern.test(value), { error: (issue) => `${quoted(issue.input)} is not ${what}` }));
}

function integer(min: number, max: number) {
  return z.number({ error: (issue) => `must be an integer ${min}..${max}, got ${quoted(issue.input)}` }).check(
    z.refine((value) => Number.isInteger(value) && value >= min && value <= max, {
      error: (issue) => `must be an integer ${min}..${max}, got ${quoted(issue.input)}`,
    }),
  );
}

/** A JSON array of distinct items; `nonEmpty` when an empty list would mean nothing can be done. */
function distinctList<T extends z.ZodMiniType<string>>(item: T, nonEmpty: boolean) {
  return z.array(item, { error: (issue) => `must be a JSON array, got ${quoted(issue.input)}` }).check(
    z.check<string[]>((ctx) => {
      if (nonEmpty && ctx.value.length === 0) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: 'must name at least one' });
        return;
      }
      const duplicate = ctx.value.find((value, index) => ctx.value.indexOf(value) !== index);
      if (duplicate !== undefined) ctx.issues.push({ code: 'custom', input: ctx.value, message: `${quoted(duplicate)} is listed twice` });
    }),
  );
}

const TARGET_ID = 'a traffic mirror target id (tmt- + 8 or 17 lowercase hex)';
const FILTER_ID = 'a traffic mirror filter id (tmf- + 8 or 17 lowercase hex)';
const targetIds = (nonEmpty: boolean) => distinctList(matching(TARGET_ID_PATTERN, TARGET_ID), nonEmpty);
const filterIds = distinctList(matching(FILTER_ID_PATTERN, FILTER_ID), false);
const instanceTypes = distinctList(
  matching(INSTANCE_TYPE_OR_FAMILY_PATTERN, 'an instance type or family in lowercase (e.g. m5.large, m7i-flex)'),
  false,
);
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => `must be one of ${values.join(' | ')}, got ${quoted(issue.input)}` });

const object = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field ${quoted(issue.keys[0])}` : `must be a JSON object, got ${quoted(issue.input)}`,
  });

const zone = object({ targetIds: targetIds(true) });

const region = object({
  targetIds: targetIds(true),
  filterId: matching(FILTER_ID_PATTERN, FILTER_ID),
  accountFilterIds: z.optional(keyedBy(ACCOUNT_ID_PATTERN, 'an AWS account id (12 digits)', matching(FILTER_ID_PATTERN, FILTER_ID))),
  zones: z.optional(keyedBy(ZONE_ID_PATTERN, 'an Availability Zone id (e.g. use1-az1)', zone)),
});

const ACCOUNT_ID = 'an AWS account id (12 digits, as a string)';
const accountIds = distinctList(matching(ACCOUNT_ID_PATTERN, ACCOUNT_ID), false);

const organization = object({
  spokeRoleName: matching(ROLE_NAME_PATTERN, 'an IAM role name (1..64 of letters, digits and +=,.@_-)'),
  accounts: z.optional(accountIds),
  organizationalUnits: z.optional(
    distinctList(
      matching(
        ORGANIZATIONAL_UNIT_ID_PATTERN,
        'an OU id (ou- + 4..32 lowercase letters or digits + - + 8..32 more, e.g. ou-ab12-cd34ef56) or a root id (r- + 4..32)',
      ),
      false,
    ),
  ),
  excludedAccounts: z.optional(accountIds),
  regions: keyedBy(REGION_PATTERN, 'a Region name (e.g. us-east-1)', region).check(
    z.refine((regions) => Object.keys(regions).length > 0, { error: 'must name at least one Region' }),
  ),
  mutatingShare: z.optional(
    z
      .number({ error: (issue) => `must be a number in (0, 1], got ${quoted(issue.input)}` })
      .check(z.refine((share) => share > 0 && share <= 1, { error: (issue) => `must be a number in (0, 1], got ${quoted(issue.input)}` })),
  ),
  tagKey: z.optional(matching(/^(?!aws:)[\s\S]{1,128}$/i, 'a tag key of 1..128 characters, not starting with aws:')),
  tagValue: z.optional(matching(/^[\s\S]{1,256}$/, 'a tag value of 1..256 characters')),
  eniScope: z.optional(oneOf(['all', 'primary'])),
  sessionNumber: z.optional(integer(MIN_SESSION_NUMBER, MAX_SESSION_NUMBER)),
  virtualNetworkId: z.optional(integer(0, MAX_VNI)),
  packetLength: z.optional(integer(MIN_PACKET_LENGTH, MAX_PACKET_LENGTH)),
  allowedOverrideTargetIds: z.optional(targetIds(false)),
  allowedOverrideFilterIds: z.optional(filterIds),
  supportedTypes: z.optional(instanceTypes),
  unsupportedTypes: z.optional(instanceTypes),
  stopPolicy: z.optional(oneOf(['detach', 'keep'])),
});

/** `$.regions["us-east-1"].targetIds[0]`: the path an operator can follow in the document. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_$][\w$]*$/.test(name) ? `${text}.${name}` : `${text}[${quoted(name)}]`;
  }, '$');
}

/**
 * Parses and validates the document held by the SSM parameter `parameterName`. Throws a ConfigError (variable: the
 * parameter's name) for text that is not JSON, a field of the wrong shape (with its JSON path) or a rule between
 * fields that does not hold.
 */
export function parseOrganization(parameterName: string, text: string): Organization {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(parameterName, `is not JSON (${(error as Error).message})`);
  }
  const result = organization.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(parameterName, `${jsonPath(issue?.path ?? [])}: ${issue?.message ?? 'is invalid'}`);
  }
  const { regions, mutatingShare, accounts, organizationalUnits, excludedAccounts, ...rest } = result.data;
  const document: Organization = {
    ...rest,
    accounts: accounts ?? [],
    organizationalUnits: organizationalUnits ?? [],
    excludedAccounts: excludedAccounts ?? [],
    mutatingShare: mutatingShare ?? DEFAULT_MUTATING_SHARE,
    regions: Object.fromEntries(
      Object.entries(regions).map(([name, { zones, accountFilterIds, ...pool }]) => [
        name,
        { ...pool, accountFilterIds: accountFilterIds ?? {}, zones: zones ?? {} },
      ]),
    ),
  };
  checkConsistency(parameterName, document);
  return document;
}

/** Rules between fields, each reported with the path of the field to change. */
function checkConsistency(parameterName: string, document: Organization): void {
  const refuse = (path: readonly PropertyKey[], message: string): never => {
    throw new ConfigError(parameterName, `${jsonPath(path)}: ${message}`);
  };
  if (document.accounts.length === 0 && document.organizationalUnits.length === 0)
    refuse(['accounts'], 'must name at least one account, or organizationalUnits at least one OU');
  document.excludedAccounts.forEach((accountId, index) => {
    if (document.accounts.includes(accountId))
      refuse(['excludedAccounts', index], `${quoted(accountId)} is also listed in accounts; name it in one of them`);
  });
  const listedTwice = document.unsupportedTypes?.find((type) => document.supportedTypes?.includes(type));
  if (listedTwice !== undefined)
    refuse(['unsupportedTypes'], `${quoted(listedTwice)} is also listed in supportedTypes; name it in one of them`);
  for (const [regionName, { targetIds: regionTargets, zones }] of Object.entries(document.regions)) {
    const seen = new Set(regionTargets);
    for (const [zoneId, { targetIds: zoneTargets }] of Object.entries(zones)) {
      zoneTargets.forEach((targetId, index) => {
        if (seen.has(targetId))
          refuse(['regions', regionName, 'zones', zoneId, 'targetIds', index], `${quoted(targetId)} is already in the Region's pool`);
        seen.add(targetId);
      });
    }
  }
}

/**
 * The mirrored accounts: those the document lists, then those found under its OUs (`underUnits`, as resolved), minus
 * the excluded ones; each once, in that order.
 */
export function mirroredAccountsOf(document: Organization, underUnits: readonly string[] = []): string[] {
  return [...new Set([...document.accounts, ...underUnits])].filter((accountId) => !document.excludedAccounts.includes(accountId));
}

/**
 * Every (account, Region) mirrored, in a stable order: accounts (`accounts`: the resolved ones, by default those
 * the document lists), then Regions as listed.
 */
export function scopesOf(document: Organization, accounts: readonly string[] = mirroredAccountsOf(document)): Scope[] {
  return accounts.flatMap((accountId) => Object.keys(document.regions).map((region) => ({ accountId, region })));
}

/** A Region's whole pool: its own targets and those of its zones (target choice prefers the instance's zone). */
export function regionPool(regionSettings: OrganizationRegion): string[] {
  return [...regionSettings.targetIds, ...Object.values(regionSettings.zones).flatMap((zoneSettings) => zoneSettings.targetIds)];
}

export const scopeKey = (scope: Scope): string => `${scope.accountId}/${scope.region}`;

/**
 * The configuration converge uses in one Region: the flat configuration (table, bus, owner, tag keys of the
 * overrides...) with the Region's pool and filter and every setting the document names in place of its flat value.
 * `accountId` picks that account's filter when the Region names one. Undefined when the document does not list the
 * Region.
 */
export function configForRegion(base: Config, document: Organization, region: string, accountId?: string): Config | undefined {
  const regionSettings = document.regions[region];
  if (regionSettings === undefined) return undefined;
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  return Object.freeze({
    ...base,
    poolTargetIds: regionPool(regionSettings),
    filterId: (accountId === undefined ? undefined : regionSettings.accountFilterIds[accountId]) ?? regionSettings.filterId,
    ...optional('tagKey', document.tagKey),
    ...optional('tagValue', document.tagValue),
    ...optional('eniScope', document.eniScope),
    ...optional('preferredSessionNumber', document.sessionNumber),
    ...optional('virtualNetworkId', document.virtualNetworkId),
    ...optional('packetLength', document.packetLength),
    ...optional('allowedOverrideTargetIds', document.allowedOverrideTargetIds),
    ...optional('allowedOverrideFilterIds', document.allowedOverrideFilterIds),
    ...optional('extraSupportedTypes', document.supportedTypes),
    ...optional('extraUnsupportedTypes', document.unsupportedTypes),
    ...optional('stopPolicy', document.stopPolicy),
  });
}
