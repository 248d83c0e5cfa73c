/**
 * Every metric the dashboard shows in our namespace is one the code really emits: the production wiring
 * (defaultDeps, the module-level clients and Powertools metrics) runs converge on an event, a sweep with an unknown
 * session, a detach EC2 denies, a window-end tick and an EC2 throttle against the simulator and dynalite, and the metric names in its
 * EMF output are compared with the names the packaged dashboard references.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import { Ec2Error } from '@vpc-mirror-orchestrator/ec2-sim';
import { dashboardMetricNames } from '../support/governance-checks';
import { PACKAGE_HOOK_TIMEOUT_MS, packagedStack, TEMPLATE_FILE } from '../support/packaged-stack';
import type { CfnTemplate } from '../support/template-checks';
import { Ec2Seeder, fixtureEvent, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';

const REPO = path.resolve(__dirname, '../..');
const NAMESPACE = 'VpcMirrorOrchestrator';

let cloud: TestCloud;
let dashboardNames: string[];

beforeAll(async () => {
  const stack = await packagedStack(REPO);
  try {
    dashboardNames = dashboardMetricNames(
      JSON.parse(readFileSync(path.join(stack.directory, TEMPLATE_FILE), 'utf8')) as CfnTemplate,
      NAMESPACE,
    );
  } finally {
    stack.release();
  }
  cloud = await startTestCloud();
}, PACKAGE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await cloud?.stop();
});

/** Names in an EMF document as Powertools writes it. */
function emittedNames(document: unknown): string[] {
  const directives =
    (document as { _aws?: { CloudWatchMetrics?: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } })._aws
      ?.CloudWatchMetrics ?? [];
  return directives
    .filter((directive) => directive.Namespace === NAMESPACE)
    .flatMap((directive) => directive.Metrics.map((metric) => metric.Name));
}

describe('the dashboard', () => {
  it('references only metrics the code emits', async () => {
    const seed = new Ec2Seeder(cloud);
    const targetId = await seed.interfaceTarget();
    const filterId = await seed.filter();
    setFunctionEnvironment(cloud, { targetIds: [targetId], filterId, extra: { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE } });
    // Loaded after the environment is set, as a function's modules are at cold start.
    const { defaultDeps } = await import('../../shared/wiring/deps');
    const { governanceDeps } = await import('../../shared/wiring/governance');
    const { handleTrigger } = await import('../../shared/lambda/handle-trigger');
    const { handleScheduledSweep } = await import('../../shared/lambda/sweep-handler');
    const { endDueWindows } = await import('../../shared/converge/window-end');
    const { metrics } = await import('../../shared/observability');
    const deps = defaultDeps();
    const { inventory, unmanaged } = governanceDeps(deps.config);

    const tagged = await seed.launch({ tags: { 'traffic-mirror': 'true' } });
    const unsupported = await seed.launch({ type: 't2.micro', tags: { 'traffic-mirror': 'true' } });
    const outsideTarget = await seed.interfaceTarget();
    const bystander = await seed.launch();
    await cloud.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: bystander.eniIds[0],
        TrafficMirrorTargetId: outsideTarget,
        TrafficMirrorFilterId: filterId,
        SessionNumber: 1,
      }),
    );
    let throttled = false;
    const unhook = cloud.sim.hook('DescribeInstances', 'before', () => {
      if (throttled) return;
      throttled = true;
      throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
    });

    await handleTrigger({ ...fixtureEvent('tag-change-added', tagged.instanceId), time: new Date().toISOString() }, deps);
    await handleTrigger(fixtureEvent('tag-change-added', unsupported.instanceId), deps);
    unhook();
    const windowed = await seed.launch({ tags: { 'traffic-mirror': 'true' } });
    await handleScheduledSweep(
      { id: 'sweep-metrics', source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} },
      deps,
      {
        unmanaged,
      },
    );
    const denyDelete = cloud.sim.hook('DeleteTrafficMirrorSession', 'before', () => {
      throw new Ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    });
    await seed.untag(tagged.instanceId, 'traffic-mirror');
    await expect(handleTrigger(fixtureEvent('tag-change-removed', tagged.instanceId), deps)).rejects.toThrow('UnauthorizedOperation');
    denyDelete();
    await seed.tag(windowed.instanceId, { 'traffic-mirror-until': new Date(Date.now() + 200).toISOString() });
    await endDueWindows({ eventId: 'window-end-metrics' }, deps, inventory);
    const emitted = new Set(emittedNames(metrics.serializeMetrics()));

    expect(throttled).toBe(true);
    expect(dashboardNames.length).toBeGreaterThanOrEqual(10);
    expect(dashboardNames.filter((name) => !emitted.has(name))).toEqual([]);
  });
});
