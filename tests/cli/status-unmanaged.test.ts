/** mirrorctl status shows sessions not made by the orchestrator to targets nobody configured, and leaves them be. */
import { run } from '../../cli/main';
import type { ReportUnknownSession } from '../../cli/views/report';
import type { StatusReport } from '../../cli/views/status';
import { Ec2Seeder, sessionsOn, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { captureIo } from './cli-io';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud();
});

afterAll(async () => {
  await cloud?.stop();
});

describe('mirrorctl status', () => {
  it('lists a session to a target nobody configured, without calling it drift, and touches nothing', async () => {
    const seed = new Ec2Seeder(cloud);
    const filterId = await seed.filter();
    const poolTarget = await seed.loadBalancerTarget();
    const outsideTarget = await seed.interfaceTarget();
    setFunctionEnvironment(cloud, { targetIds: [poolTarget], filterId });
    const bystander = await seed.launch();
    const unknown = await seed.handMadeSession(bystander.eniIds[0] as string, outsideTarget, filterId, 1);
    await seed.handMadeSession(bystander.eniIds[0] as string, poolTarget, filterId, 2);
    const before = sessionsOn(cloud);

    const json = captureIo();
    const exitCode = await run(['status', '--json'], json);
    const text = captureIo();
    await run(['status'], text);

    const report = json.json<StatusReport & { unmanagedSessions: ReportUnknownSession[] }>();
    expect(exitCode).toBe(0);
    expect(report.unmanagedSessions).toEqual([
      expect.objectContaining({
        sessionId: unknown,
        targetId: outsideTarget,
        instanceId: bystander.instanceId,
        cause: 'target-not-configured',
      }),
    ]);
    expect(text.stdoutText()).toContain('1 session(s) not made by the orchestrator mirror to a target nobody configured');
    expect(text.stdoutText()).toContain(unknown);
    expect(sessionsOn(cloud)).toEqual(before);
  });
});
