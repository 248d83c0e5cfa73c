/**
 * Single-event latency on an idle system: time from the EventBridge event reaching the bus to the session existing
 * in EC2, one event at a time (the system idle before each), at EC2's real rates (time scale 1, throttling on) and
 * with the stack's real batching window. Two kinds: a tagged launch (from its `running` state change) and a tag
 * added to a running instance (from its Tag Change on Resource event).
 */
import os from 'node:os';
import path from 'node:path';
import { CreateTagsCommand, RunInstancesCommand, type RunInstancesCommandOutput } from '@aws-sdk/client-ec2';
import type { Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { type LocalCloud, readStack, startLocalCloud } from '../../local/cloud';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { benchEc2Client } from '../ec2-client';
import { createTargetPool } from '../fleet/launch';
import { planFleet } from '../fleet/plan';
import type { BenchOptions } from '../options';

const POLL_MS = 10;
/** A sample that takes longer than this is recorded as missing, not waited for. */
const SAMPLE_TIMEOUT_MS = 30_000;
const SETTLE_MS = 30_000;
const INIT_TIMEOUT_MS = 120_000;
/** Launches and tag changes arrive one at a time: two warm containers are plenty. */
const CONTAINERS = 2;

export interface LatencyMeasurement {
  /** Milliseconds from the event on the bus to the session in EC2; one per sample that converged. */
  readonly launchMs: readonly number[];
  readonly tagChangeMs: readonly number[];
  /** Samples with no session within SAMPLE_TIMEOUT_MS. */
  readonly missing: number;
  readonly batchingWindowSeconds: number;
  /** Wall time of the samples (setup excluded): one at a time, each waits a whole batching window. */
  readonly samplingSeconds: number;
  readonly loadAverage: { readonly start: number; readonly end: number; readonly cores: number };
}

/** When the first managed session on `eniId` exists, polling the simulator in process (no API call, no token taken). */
async function sessionSeenAt(simulator: Simulator, ownerId: string, eniId: string): Promise<number | undefined> {
  const deadline = Date.now() + SAMPLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (simulator.snapshot().sessions.some((session) => session.networkInterfaceId === eniId && session.tags[OWNER_TAG] === ownerId))
      return Date.now();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** Instance id and primary ENI of each instance a RunInstances call answered. */
function launchedInstances(answer: RunInstancesCommandOutput): { instanceId: string; eniId: string }[] {
  return (answer.Instances ?? []).map((instance) => {
    const eniId = instance.NetworkInterfaces?.find((eni) => eni.Attachment?.DeviceIndex === 0)?.NetworkInterfaceId;
    if (!instance.InstanceId || !eniId) throw new Error('RunInstances answered an instance without an id or a primary ENI');
    return { instanceId: instance.InstanceId, eniId };
  });
}

export async function runLatencyOnce(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<LatencyMeasurement> {
  const stack = readStack(path.join(root, 'serverless.yml'));
  const converger = stack.functions.find((fn) => fn.rules.some((rule) => rule.name.endsWith('-stateChange')));
  if (!converger) throw new Error('serverless.yml has no function fed by the state-change rule');
  const batchingWindowSeconds = converger.queueSources[0]?.maximumBatchingWindowSeconds ?? 0;
  const cloud: LocalCloud = await startLocalCloud({
    rootDir: root,
    functions: [converger.key],
    code: { kind: 'packaged', dir: packageDir },
    simulator: { seed: options.seed },
    reservedConcurrency: { [converger.key]: CONTAINERS },
    initTimeoutMs: INIT_TIMEOUT_MS,
    timeScale: 1,
  });
  const ec2 = benchEc2Client(cloud);
  const eventAt = new Map<string, number>();
  const stopListening = cloud.bus.onEvent((received) => {
    const detail = received.event.detail as { 'instance-id'?: string; state?: string } | undefined;
    if (
      received.event['detail-type'] === 'EC2 Instance State-change Notification' &&
      detail?.state === 'running' &&
      detail['instance-id']
    ) {
      eventAt.set(`launch ${detail['instance-id']}`, received.receivedAt);
    }
    if (received.event['detail-type'] === 'Tag Change on Resource') {
      for (const arn of received.event.resources ?? []) eventAt.set(`tag ${arn.slice(arn.lastIndexOf('/') + 1)}`, received.receivedAt);
    }
  });
  try {
    const simulator = cloud.simulator;
    if (!simulator) throw new Error('the local cloud started without its EC2 simulator');
    const environment = stack.functions[0]?.environment ?? {};
    const ownerId = environment['MIRROR_OWNER_ID'] ?? '';
    const tagKey = environment['MIRROR_TAG_KEY'] || 'traffic-mirror';
    const tagValue = environment['MIRROR_TAG_VALUE'] || 'true';

    simulator.setThrottling({ enabled: false });
    const pool = await createTargetPool(
      ec2,
      planFleet({ instances: 0, twoEniShare: 0, unsupportedShare: 0, zones: 3, seed: options.seed }),
    );
    const untagged = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 'm5.large',
        MinCount: options.latencySamples,
        MaxCount: options.latencySamples,
      }),
    );
    const toTag = launchedInstances(untagged);
    await cloud.deployFunctions({ MIRROR_TARGET_IDS: pool.targetIds.join(','), MIRROR_FILTER_ID: pool.filterId });
    await cloud.lambdas[converger.key]?.prewarm(CONTAINERS);
    if (!(await cloud.settle(SETTLE_MS * 4))) throw new Error('the local cloud did not settle after setup');
    simulator.setThrottling({ enabled: true, timeScale: 1 });

    const loadAtStart = os.loadavg()[0] ?? 0;
    const samplingStarted = performance.now();
    const launchMs: number[] = [];
    const tagChangeMs: number[] = [];
    let missing = 0;
    const sample = async (key: string, eniId: string, into: number[]): Promise<void> => {
      const seen = await sessionSeenAt(simulator, ownerId, eniId);
      const from = eventAt.get(key);
      if (seen === undefined || from === undefined) missing += 1;
      else into.push(seen - from);
      await cloud.settle(SETTLE_MS);
    };
    for (let n = 0; n < options.latencySamples; n++) {
      const launched = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0123456789abcdef0',
          InstanceType: 'm5.large',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: tagKey, Value: tagValue }] }],
        }),
      );
      for (const { instanceId, eniId } of launchedInstances(launched)) await sample(`launch ${instanceId}`, eniId, launchMs);
    }
    log(`latency: ${launchMs.length} launches measured`);
    for (const { instanceId, eniId } of toTag) {
      await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: tagKey, Value: tagValue }] }));
      await sample(`tag ${instanceId}`, eniId, tagChangeMs);
    }
    log(`latency: ${tagChangeMs.length} tag changes measured, ${missing} missing`);
    return {
      launchMs,
      tagChangeMs,
      missing,
      batchingWindowSeconds,
      samplingSeconds: (performance.now() - samplingStarted) / 1000,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0, cores: os.availableParallelism() },
    };
  } finally {
    stopListening();
    ec2.destroy();
    await cloud.stop().catch((error: unknown) => log(`stopping the local cloud: ${(error as Error).message}`));
  }
}
