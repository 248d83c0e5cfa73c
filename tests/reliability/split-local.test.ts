/**
 * The split on the real path: the stack on loopback (startLocalCloud: the simulator emitting CloudTrail events, the
 * local bus with the stack's rules, its queues and event source mappings, the real cloudtrailTags handler in Lambda-like
 * child processes). One CreateTags on 60 instances becomes one CloudTrail event; the handler puts its parts on the
 * bus, ConvergePartsRule routes them to ConvergePartsQueue, and each part is converged by its own invocation.
 */
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { MAX_INSTANCES_PER_INVOCATION } from '../../shared/lambda/split';
import { type ReliabilityCloud, startReliabilityCloud } from '../support/local-cloud';

const FLEET = 60;
let rc: ReliabilityCloud;

beforeAll(async () => {
  rc = await startReliabilityCloud({
    simulator: { seed: 10, transitionDelayMs: 2, cloudTrailEvents: true },
    params: { cloudTrailEvents: 'true' },
    functions: ['cloudtrailTags'],
    interfaceTargets: 0,
  });
});

afterAll(async () => {
  await rc?.stop();
});

describe('a CloudTrail CreateTags naming more instances than one invocation converges', () => {
  it('is split into parts, each converged by its own invocation, and the whole fleet ends mirrored', async () => {
    const fleet = await rc.launch({ tagged: false, count: FLEET });

    await rc.ec2.send(
      new CreateTagsCommand({ Resources: fleet.map((instance) => instance.instanceId), Tags: [{ Key: 'traffic-mirror', Value: 'true' }] }),
    );
    expect(await rc.cloud.settle(60_000)).toBe(true);

    const parts = Math.ceil(FLEET / MAX_INSTANCES_PER_INVOCATION);
    expect(rc.cloud.queues['CloudtrailTagsQueue']?.stats()).toMatchObject({ sent: 1, deleted: 1 });
    expect(rc.cloud.queues['ConvergePartsQueue']?.stats()).toMatchObject({ sent: parts, deleted: parts });
    expect(rc.cloud.eventSources['ConvergePartsQueue']?.stats()).toMatchObject({ batches: parts, largestBatch: 1, failedRecords: 0 });
    expect(rc.managedSessionsOn(fleet.flatMap((instance) => instance.eniIds))).toHaveLength(FLEET);
    expect(rc.cloud.deadLetters.size).toBe(0);
    expect(await rc.ledgerProblems()).toEqual([]);
  });
});
