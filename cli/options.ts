import { type Command, InvalidArgumentError, Option } from 'commander';
import { ACCOUNT_ID_PATTERN, REGION_PATTERN } from '../shared/config/organization';
import { UsageError } from './exit-codes';
import type { CliIo } from './io';

/** Options every command takes: the instances in scope, where AWS is, and overrides of the main configuration variables. */
export interface CommonOptions {
  /** --instance, repeatable; absent: the sweep's scope. */
  readonly instance?: readonly string[];
  /** Also drops static keys from the environment, so the profile's credentials are the ones used. */
  readonly profile?: string;
  /**
   * --region, repeatable or comma lists. Without an organization document: the one AWS Region (AWS_REGION). With
   * one: which of its Regions to show (the hub's own Region, where the ledger and the document are, stays AWS_REGION).
   */
  readonly region?: readonly string[];
  /** --account, repeatable or comma lists: which of the organization document's accounts to show. */
  readonly account?: readonly string[];
  /** The SSM parameter holding the organization document (overrides MIRROR_ORGANIZATION_PARAMETER). */
  readonly organizationParameter?: string;
  readonly table?: string;
  readonly targets?: string;
  readonly filter?: string;
  readonly tag?: { readonly key: string; readonly value: string };
  readonly json?: boolean;
  /** Read the configuration of this deployed stack (CloudFormation outputs, the functions' environment). */
  readonly stack?: string;
  /** The stack of `sls deploy --stage <stage>`: vpc-mirror-orchestrator-<stage>. */
  readonly stage?: string;
}

/** Which variable each override flag stands for: a ConfigError about the variable then names the flag too. */
const overrides: Readonly<Record<string, { flag: string; option: keyof CommonOptions }>> = {
  LEDGER_TABLE_NAME: { flag: '--table', option: 'table' },
  MIRROR_TARGET_IDS: { flag: '--targets', option: 'targets' },
  MIRROR_FILTER_ID: { flag: '--filter', option: 'filter' },
  MIRROR_TAG_KEY: { flag: '--tag', option: 'tag' },
  MIRROR_TAG_VALUE: { flag: '--tag', option: 'tag' },
};

/** Where a variable's value came from, for error messages: the flag that set it, or how to set it. */
export function originOf(variable: string, options: CommonOptions): string | undefined {
  const override = overrides[variable];
  if (override === undefined) return undefined;
  return options[override.option] !== undefined ? `from ${override.flag}` : `set ${variable} or pass ${override.flag}`;
}

function parseTag(raw: string): { key: string; value: string } {
  const separator = raw.indexOf('=');
  const key = separator < 0 ? '' : raw.slice(0, separator).trim();
  if (key === '') throw new InvalidArgumentError(`expected key=value (e.g. traffic-mirror=true), got "${raw}"`);
  return { key, value: raw.slice(separator + 1) };
}

export function addCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--instance <id>', 'only this instance (repeatable)').argParser(collectInstanceId))
    .addOption(new Option('--profile <name>', 'AWS shared-config profile (sets AWS_PROFILE)'))
    .addOption(
      new Option(
        '--region <regions>',
        'AWS Region (sets AWS_REGION); with an organization document, only these of its Regions (repeatable, comma lists)',
      ).argParser(collectRegions),
    )
    .addOption(
      new Option('--account <ids>', "only these of the organization document's accounts (repeatable, comma lists)").argParser(
        collectAccounts,
      ),
    )
    .addOption(
      new Option('--organization-parameter <name>', 'SSM parameter of the organization document (overrides MIRROR_ORGANIZATION_PARAMETER)'),
    )
    .addOption(new Option('--table <name>', 'ledger table (overrides LEDGER_TABLE_NAME)'))
    .addOption(new Option('--targets <ids>', 'comma-separated target pool (overrides MIRROR_TARGET_IDS)'))
    .addOption(new Option('--filter <id>', 'traffic mirror filter (overrides MIRROR_FILTER_ID)'))
    .addOption(new Option('--tag <key=value>', 'opt-in tag (overrides MIRROR_TAG_KEY / MIRROR_TAG_VALUE)').argParser(parseTag))
    .addOption(new Option('--json', 'machine-readable JSON on stdout, nothing else on stdout'))
    .addOption(new Option('--stack <name>', 'read the configuration of this deployed stack (flags and variables override it)'))
    .addOption(new Option('--stage <stage>', 'the stack of `sls deploy --stage <stage>` (vpc-mirror-orchestrator-<stage>)'));
}

/** The configuration environment with the flags applied on top, as the Lambdas would see it. */
export function configEnvironment(
  env: CliIo['env'],
  options: CommonOptions,
  stack: Readonly<Record<string, string>> = {},
): Record<string, string | undefined> {
  const setInEnvironment = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  return {
    ...stack,
    ...setInEnvironment,
    ...(options.table !== undefined && { LEDGER_TABLE_NAME: options.table }),
    ...(options.targets !== undefined && { MIRROR_TARGET_IDS: options.targets }),
    ...(options.filter !== undefined && { MIRROR_FILTER_ID: options.filter }),
    ...(options.tag !== undefined && { MIRROR_TAG_KEY: options.tag.key, MIRROR_TAG_VALUE: options.tag.value }),
    ...(options.organizationParameter !== undefined && { MIRROR_ORGANIZATION_PARAMETER: options.organizationParameter }),
  };
}

/**
 * The SDK clients in shared/aws read the process environment when they are created, so the profile and the Region
 * go there before anything from shared/aws is loaded. `--region` is the client Region only for one account: with an
 * organization document (`organization`), it picks Regions of the document instead.
 */
export function applyAwsLocation(options: CommonOptions, organization: boolean): void {
  if (options.profile !== undefined) {
    process.env.AWS_PROFILE = options.profile;
    // --profile says which credentials to use: static keys in the environment would compete with it (the SDK warns
    // and may prefer them in a later version).
    for (const variable of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[variable];
  }
  if (organization || options.region === undefined) return;
  const [region, ...more] = options.region;
  if (more.length > 0) {
    throw new UsageError(
      `--region names ${options.region.length} Regions (${options.region.join(', ')}): several Regions need an organization ` +
        'document (--organization-parameter or MIRROR_ORGANIZATION_PARAMETER)',
    );
  }
  if (region !== undefined) process.env.AWS_REGION = region;
}

/** Repeatable, each value a comma list; duplicates once; each item checked against `pattern`. */
function collectList(pattern: RegExp, what: string) {
  return (raw: string, previous: readonly string[] | undefined): string[] => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const bad = items.find((item) => !pattern.test(item));
    if (items.length === 0 || bad !== undefined) throw new InvalidArgumentError(`expected ${what}, got "${bad ?? raw}"`);
    return [...new Set([...(previous ?? []), ...items])];
  };
}

const collectRegions = collectList(REGION_PATTERN, 'a Region name like eu-west-1 (or a comma list)');
const collectAccounts = collectList(ACCOUNT_ID_PATTERN, 'an AWS account id of 12 digits (or a comma list)');

const instanceIdPattern = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;

function collectInstanceId(raw: string, previous: readonly string[] | undefined): string[] {
  if (!instanceIdPattern.test(raw)) throw new InvalidArgumentError(`expected an instance id like i-0123456789abcdef0, got "${raw}"`);
  const named = previous ?? [];
  return named.includes(raw) ? [...named] : [...named, raw];
}
