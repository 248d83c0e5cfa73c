/**
 * Everything a command needs before it reads anything: the AWS location applied, the configuration loaded exactly as
 * the Lambdas load it (flags on top), and the same ConvergeDeps wiring the Lambdas use, minus their stdout logger.
 * With an organization document (MIRROR_ORGANIZATION_PARAMETER, from the environment, the stack or
 * --organization-parameter), the hub's wiring too: each (account, Region) of the document the command covers, with
 * that scope's own dependencies (the spoke role through STS), exactly as the hub's functions get them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type Config, loadConfig } from '../shared/config/config';
import { ORGANIZATION_PARAMETER_VARIABLE, type Scope } from '../shared/config/organization';
import type { ConvergeDeps } from '../shared/converge';
import type { UnmanagedWatch } from '../shared/converge/unmanaged-sessions';
import { ConfigError } from '../shared/domain/errors';
import { defaultDeps } from '../shared/wiring/deps';
import { governanceDeps } from '../shared/wiring/governance';
import { type OrganizationWiring, organizationWiring } from '../shared/wiring/organization';
import type { MirrorResourcesClient } from './aws/mirror-resources';
import { stackEnvironment, stackNameOf } from './deployment';
import { UsageError } from './exit-codes';
import type { CliIo } from './io';
import { applyAwsLocation, type CommonOptions, configEnvironment, originOf } from './options';

/** One (account, Region) a command works in: for a single-account deployment, the one there is. */
export interface ScopeSession {
  /** Undefined for a single-account deployment (its account and Region are the credentials'). */
  readonly scope?: Scope;
  readonly config: Config;
  /** The Region, for messages ("not visible ... in eu-west-1"). */
  readonly region: string;
  readonly deps: ConvergeDeps;
  /** Sessions not ours in this scope. */
  readonly unmanaged: UnmanagedWatch;
  /** The EC2 client of the scope, for mirrorctl's own checks; undefined: the container's. */
  readonly ec2Client?: MirrorResourcesClient;
}

/** A scope to visit: opening it may fail (the document changed under us); using it may be refused (spoke role). */
export interface ScopeEntry {
  readonly scope?: Scope;
  open(): Promise<ScopeSession | undefined>;
}

export interface CliSession {
  /** The hub's (or the single account's) configuration. */
  readonly config: Config;
  /** The Region the commands talk to (the hub's, with an organization), for messages. */
  readonly region: string;
  /** The hub's own dependencies: the ledger (outbox, target loads, history), publisher, clock. */
  readonly deps: ConvergeDeps;
  /** Set when an organization document drives the deployment. */
  readonly organization?: {
    readonly parameterName: string;
    isAccessDenied(error: unknown): boolean;
  };
  /** The scopes the command covers, in the document's order (accounts as listed, then Regions). */
  readonly scopes: readonly ScopeEntry[];
}

function loadCliConfig(io: CliIo, options: CommonOptions, stack: Readonly<Record<string, string>>): Config {
  try {
    return loadConfig(configEnvironment(io.env, options, stack));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const origin = originOf(error.variable, options);
    throw new UsageError(origin === undefined ? error.message : `${error.message} (${origin})`);
  }
}

/** The organization parameter the flags and the environment name, before any stack is read. */
function namedParameter(io: CliIo, options: CommonOptions): string | undefined {
  const named = options.organizationParameter ?? io.env[ORGANIZATION_PARAMETER_VARIABLE];
  return named?.trim() ? named.trim() : undefined;
}

export async function openSession(io: CliIo, options: CommonOptions): Promise<CliSession> {
  const stackName = stackNameOf(options);
  // Several Regions with --stack: the stack (read in the profile's Region) says whether there is a document.
  const severalRegions = (options.region?.length ?? 0) > 1;
  const regionsPickScopes = namedParameter(io, options) !== undefined || (stackName !== undefined && severalRegions);
  // shared/aws creates its SDK clients on first use (in defaultDeps below), from the environment completed here.
  applyAwsLocation(options, regionsPickScopes);
  const stack = stackName === undefined ? {} : await stackEnvironment(stackName, process.env.AWS_REGION);
  const config = loadCliConfig(io, options, stack);
  // Decisions are rendered by the CLI; the Lambdas' JSON log lines would otherwise land on stdout (and break --json),
  // and metrics belong to the deployed functions.
  const logger = new Logger({ serviceName: 'mirrorctl', logLevel: 'SILENT' });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "the profile's Region";
  const deps = defaultDeps(config, { logger, metrics: null });
  const parameterName = configEnvironment(io.env, options, stack)[ORGANIZATION_PARAMETER_VARIABLE]?.trim();
  if (!parameterName) {
    if (severalRegions) applyAwsLocation(options, false);
    if (options.account !== undefined) {
      throw new UsageError('--account needs an organization document (--organization-parameter or MIRROR_ORGANIZATION_PARAMETER)');
    }
    const home: ScopeSession = { config, region, deps, unmanaged: governanceDeps(config).unmanaged };
    return { config, region, deps, scopes: [{ open: async () => home }] };
  }
  const wiring = organizationWiring({ base: config, parameterName, logger, metrics: null });
  const scopes = chosenScopes(await wiring.scopes(), options, parameterName);
  return {
    config,
    region,
    deps,
    organization: { parameterName, isAccessDenied: (error) => wiring.isAccessDenied(error) },
    scopes: scopes.map((scope) => ({ scope, open: () => openScope(wiring, scope) })),
  };
}

async function openScope(wiring: OrganizationWiring, scope: Scope): Promise<ScopeSession | undefined> {
  const scoped = await wiring.depsFor(scope);
  if (scoped === undefined) return undefined;
  return {
    scope,
    config: scoped.config,
    region: scope.region,
    deps: scoped,
    unmanaged: scoped.unmanaged,
    ec2Client: await wiring.ec2ClientFor(scope),
  };
}

/** The document's scopes narrowed by --account and --region; naming one the document does not list is a usage error. */
function chosenScopes(all: readonly Scope[], options: CommonOptions, parameterName: string): Scope[] {
  const check = (flag: string, named: readonly string[] | undefined, listed: readonly string[]) => {
    const unknown = (named ?? []).filter((value) => !listed.includes(value));
    if (unknown.length > 0) {
      throw new UsageError(
        `${flag} ${unknown.join(', ')}: not in the organization document ${parameterName} (it lists ${listed.join(', ')})`,
      );
    }
  };
  check('--account', options.account, [...new Set(all.map((scope) => scope.accountId))]);
  check('--region', options.region, [...new Set(all.map((scope) => scope.region))]);
  return all.filter(
    (scope) =>
      (options.account === undefined || options.account.includes(scope.accountId)) &&
      (options.region === undefined || options.region.includes(scope.region)),
  );
}
