/** The installed entry point: bin/mirrorctl.cjs as a real process (tsx loads cli/main.ts), against loopback servers. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { PlanReport } from '../../cli/views/plan';
import { Ec2Seeder, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';

const BIN = join(__dirname, '..', '..', 'bin', 'mirrorctl.cjs');
const execFileAsync = promisify(execFile);

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud();
  const seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  setFunctionEnvironment(cloud, { targetIds: [await seed.loadBalancerTarget()], filterId });
});

afterAll(async () => {
  await cloud?.stop();
});

function mirrorctl(...args: string[]) {
  return execFileAsync(systemNode(), [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
}

/** The first `node` on PATH outside node_modules: what a shell runs `mirrorctl` with (Node 20 on the CI machines). */
function systemNode(): string {
  const directories = (process.env['PATH'] ?? '').split(delimiter).filter((directory) => directory && !directory.includes('node_modules'));
  const found = directories.map((directory) => join(directory, 'node')).find((candidate) => existsSync(candidate));
  return found ?? process.execPath;
}

describe('bin/mirrorctl.cjs', () => {
  it('runs on Node 24 and prints no Node-version warning, even when a shell starts it with an older system Node', async () => {
    const { stdout, stderr } = await mirrorctl('--version');

    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+ \(Node\.js v24\.\d+\.\d+\)$/);
    expect(stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('prints the help and exits 0', async () => {
    const { stdout } = await mirrorctl('--help');

    expect(stdout).toContain('Usage: mirrorctl');
    for (const command of ['plan', 'status', 'reconcile']) expect(stdout).toContain(command);
  });

  it('answers plan --json with only a JSON document on stdout', async () => {
    const instance = await new Ec2Seeder(cloud).launch({ type: 'm5.large', tags: { 'traffic-mirror': 'true' } });

    const { stdout, stderr } = await mirrorctl('plan', '--json');

    const report = JSON.parse(stdout) as PlanReport;
    expect(report.instances.map((planned) => planned.instanceId)).toEqual([instance.instanceId]);
    expect(report.totals.attach).toBe(1);
    expect(stderr).not.toContain('NodeVersionSupportWarning');
  });

  it('exits 2 on a configuration error', async () => {
    const failure = await mirrorctl('status', '--targets', 'nonsense').catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr).toContain('MIRROR_TARGET_IDS');
  });
});
