/**
 * A local world for mirrorctl: the stack's local cloud (dynalite with the ledger table as serverless.yml defines it,
 * the EC2 simulator, the event bus, the functions deployed behind the stack's own rules) plus a few targets, a filter
 * and a small fleet, all on 127.0.0.1. Its `env` is what a shell needs for `mirrorctl` to talk to it.
 */
import { CONFIGURATION_VARIABLE } from '../../cli/deployment';
import { type LocalCloud, startLocalCloud } from '../cloud';
import { FleetDriver } from '../sandbox/fleet';
import type { InstanceSpec } from '../sandbox/scenario';

export interface LocalWorld {
  /** Variables that make mirrorctl (and any SDK client) talk to this world. */
  readonly env: Readonly<Record<string, string>>;
  /** Fleet name -> instance id. */
  readonly instances: ReadonlyMap<string, string>;
  readonly targetIds: readonly string[];
  readonly filterId: string;
  stop(): Promise<void>;
}

export interface LocalWorldOptions {
  readonly seed?: number;
  /** Where the functions' log lines go (default: nowhere). */
  readonly onFunctionLog?: (functionName: string, line: string) => void;
}

const spec = (name: string, instanceType: string, zone: 'a' | 'b', tagged: boolean, eniCount: 1 | 2 = 1): InstanceSpec => ({
  name,
  role: tagged ? 'mirrored' : 'untagged',
  instanceType,
  zone,
  eniCount,
  taggedAtLaunch: tagged,
  preexisting: false,
  handMadeSessions: 0,
});

/** Two IDS hosts whose ENIs become the target pool, one per zone. */
const TARGET_HOSTS = [spec('ids-a', 'c5.large', 'a', false), spec('ids-b', 'c5.large', 'b', false)];
/** Tagged web servers (one with two ENIs), an untagged database, and a tagged m6i AWS refuses as a mirror source. */
const FLEET = [
  spec('web-1', 'm5.large', 'a', true, 2),
  spec('web-2', 'm5.large', 'b', true),
  spec('db-1', 'r5.xlarge', 'a', false),
  spec('legacy-1', 'm6i.large', 'b', true),
];
const SETTLE_MS = 30_000;

export async function startLocalWorld(options: LocalWorldOptions = {}): Promise<LocalWorld> {
  const cloud: LocalCloud = await startLocalCloud({
    simulator: { seed: options.seed ?? 1, transitionDelayMs: 20 },
    ...(options.onFunctionLog && { logSink: (line) => options.onFunctionLog?.(line.functionName, line.line) }),
  });
  let fleet: FleetDriver | undefined;
  try {
    const environment = cloud.stack.functions[0]?.environment ?? {};
    if (!cloud.ec2Endpoint) throw new Error('the local cloud started without its EC2 simulator');
    fleet = new FleetDriver({
      endpoint: cloud.ec2Endpoint,
      region: cloud.region,
      tagKey: environment.MIRROR_TAG_KEY || 'traffic-mirror',
      tagValue: environment.MIRROR_TAG_VALUE || 'true',
      targetTagKey: environment.MIRROR_TARGET_TAG_KEY || 'traffic-mirror-target',
      untilTagKey: environment.MIRROR_UNTIL_TAG_KEY || 'traffic-mirror-until',
    });
    const driver = fleet;
    await driver.launch(TARGET_HOSTS);
    await cloud.settle(SETTLE_MS);
    const targetIds = await Promise.all(TARGET_HOSTS.map((host) => driver.createInterfaceTarget(host.name)));
    const filterId = await driver.createFilter();
    const configuration = { MIRROR_TARGET_IDS: targetIds.join(','), MIRROR_FILTER_ID: filterId };
    await cloud.deployFunctions(configuration);
    // Launched once the functions are deployed: their launch events are what mirrors them, as in AWS.
    await driver.launch(FLEET);
    if (!(await cloud.settle(SETTLE_MS))) throw new Error(`the local world did not settle within ${SETTLE_MS} ms`);

    const stackVariables = Object.fromEntries(
      Object.entries(environment).filter(([name, value]) => CONFIGURATION_VARIABLE.test(name) && value !== ''),
    );
    const instances = new Map([...driver.launched].map(([name, launched]) => [name, launched.instanceId] as const));
    return {
      env: { ...cloud.env, ...stackVariables, ...configuration, LEDGER_TABLE_NAME: cloud.tableName },
      instances,
      targetIds,
      filterId,
      async stop() {
        driver.close();
        await cloud.stop();
      },
    };
  } catch (error) {
    fleet?.close();
    await cloud.stop();
    throw error;
  }
}
