/** `npm run sim -- --port 4599`: the simulator as a process; prints one line with its URL when ready. */
import { Command, InvalidArgumentError } from 'commander';
import { AWS_LIMITS, type Limits, startSimulator } from './index';

function integer(name: string, min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return parsed;
  };
}

function positive(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new InvalidArgumentError('must be a number > 0');
  return parsed;
}

/** `--access-key AKIDMEMBER=444455556666`: requests signed with this key act in that account (repeatable). */
function accessKey(value: string, earlier: Record<string, string>): Record<string, string> {
  const [key = '', account = ''] = value.split('=');
  if (!key || !/^\d{12}$/.test(account)) throw new InvalidArgumentError(`expected <access key id>=<12-digit account id>, got '${value}'`);
  return { ...earlier, [key]: account };
}

function repeated(value: string, earlier: string[]): string[] {
  return [...earlier, value];
}

/** `--limit sessionsPerAccount=5`: lowers one of AWS's quotas (repeatable). */
function limit(value: string, earlier: Partial<Limits>): Partial<Limits> {
  const [name = '', raw = ''] = value.split('=');
  if (!(name in AWS_LIMITS)) throw new InvalidArgumentError(`unknown quota '${name}'; one of ${Object.keys(AWS_LIMITS).join(', ')}`);
  return { ...earlier, [name]: integer(name, 0)(raw) };
}

const program = new Command()
  .name('ec2-sim')
  .description('Local EC2 Traffic Mirroring simulator (EC2 Query protocol on 127.0.0.1)')
  .option('--port <port>', 'port to listen on (0 = any free port)', integer('port', 0), 0)
  .option('--region <region>', 'region (its zones a, b, c get default subnets)', 'eu-west-1')
  .option('--account-id <id>', 'account id in ARNs and events', '111122223333')
  .option('--seed <n>', 'seed for ids and fault randomness', integer('seed', 0))
  .option('--transition-delay <ms>', 'delay of pending->running and the like', integer('transition delay', 0), 20)
  .option('--throttling', 'enable EC2-like request throttling', false)
  .option('--time-scale <factor>', 'throttling refill speed-up factor', positive, 1)
  .option('--event-bridge-endpoint <url>', 'forward events by PutEvents to this endpoint')
  .option('--event-bus-name <name>', 'event bus for forwarded events')
  .option('--cloudtrail-events', 'also emit CloudTrail events for CreateTags/DeleteTags/AttachNetworkInterface', false)
  .option(
    '--eventual-consistency <ms>',
    'reads lag writes this long: new resources answer NotFound, deleted ones stay listed, instances show their old state and tags',
    integer('window', 0),
    0,
  )
  .option('--log-events', 'print every emitted event as a JSON line on stdout', false)
  .option('--limit <name=value>', 'lower a quota, e.g. sessionsPerAccount=5 (repeatable)', limit, {})
  .option('--access-key <key=account>', 'requests signed with this access key act in that account (repeatable)', accessKey, {})
  .option('--role <arn>', 'an IAM role that exists: STS AssumeRole grants it (repeatable)', repeated, [])
  .option('--validate-responses', "check every answer against AWS's EC2 model (needs the aws-sdk v2 package)", false);

async function main(): Promise<void> {
  const opts = program.parse().opts<{
    port: number;
    region: string;
    accountId: string;
    seed?: number;
    transitionDelay: number;
    throttling: boolean;
    timeScale: number;
    eventBridgeEndpoint?: string;
    eventBusName?: string;
    cloudtrailEvents: boolean;
    eventualConsistency: number;
    logEvents: boolean;
    limit: Partial<Limits>;
    accessKey: Record<string, string>;
    role: string[];
    validateResponses: boolean;
  }>();
  const sim = await startSimulator({
    port: opts.port,
    region: opts.region,
    accountId: opts.accountId,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    transitionDelayMs: opts.transitionDelay,
    throttling: { enabled: opts.throttling, timeScale: opts.timeScale },
    ...(opts.eventBridgeEndpoint ? { eventBridgeEndpoint: opts.eventBridgeEndpoint } : {}),
    ...(opts.eventBusName ? { eventBusName: opts.eventBusName } : {}),
    cloudTrailEvents: opts.cloudtrailEvents,
    limits: opts.limit,
    accessKeys: opts.accessKey,
    roles: opts.role,
    ...(opts.validateResponses ? { validateResponses: true } : {}),
  });
  sim.setEventualConsistency(opts.eventualConsistency);
  if (opts.logEvents) sim.onEvent((event) => console.log(JSON.stringify(event)));
  console.log(`ec2-sim listening on ${sim.url} (region ${sim.region}, account ${sim.accountId})`);
  const shutdown = () => {
    const violations = sim.responseViolations();
    for (const violation of violations) console.error(`ec2-sim: answer outside the EC2 model: ${violation}`);
    void sim.stop().then(() => process.exit(violations.length > 0 ? 1 : 0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`ec2-sim: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
