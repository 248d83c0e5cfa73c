/**
 * Everything a command needs before it reads anything: the AWS location applied, the configuration loaded exactly as
 * the Lambdas load it (flags on top), and the same ConvergeDeps wiring the Lambdas use, minus their stdout logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { type Config, loadConfig } from '../shared/config/config';
import type { ConvergeDeps } from '../shared/converge';
import { ConfigError } from '../shared/domain/errors';
import { defaultDeps } from '../shared/wiring/deps';
import { stackEnvironment, stackNameOf } from './deployment';
import { UsageError } from './exit-codes';
import type { CliIo } from './io';
import { applyAwsLocation, type CommonOptions, configEnvironment, originOf } from './options';

export interface CliSession {
  readonly config: Config;
  /** The Region the commands talk to, for messages ("not visible ... in eu-west-1"). */
  readonly region: string;
  readonly deps: ConvergeDeps;
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

export async function openSession(io: CliIo, options: CommonOptions): Promise<CliSession> {
  // shared/aws creates its SDK clients on first use (in defaultDeps below), from the environment completed here.
  applyAwsLocation(options);
  const stackName = stackNameOf(options);
  const stack = stackName === undefined ? {} : await stackEnvironment(stackName, process.env.AWS_REGION);
  const config = loadCliConfig(io, options, stack);
  // Decisions are rendered by the CLI; the Lambdas' JSON log lines would otherwise land on stdout (and break --json),
  // and metrics belong to the deployed functions.
  const logger = new Logger({ serviceName: 'mirrorctl', logLevel: 'SILENT' });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "the profile's Region";
  return { config, region, deps: defaultDeps(config, { logger, metrics: null }) };
}
