/**
 * Usage and configuration errors: exit 2, a message naming the variable or the flag on stderr, nothing on stdout,
 * and nothing read from or written to AWS (the configuration fails before any client exists).
 */
import { run } from '../../cli/main';
import { captureIo } from './cli-io';

const VALID = {
  MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0',
  MIRROR_FILTER_ID: 'tmf-0123456789abcdef0',
  LEDGER_TABLE_NAME: 'mirror-ledger',
};

function envWithout(...names: string[]): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, ...VALID };
  for (const name of names) delete env[name];
  return env;
}

async function runWith(argv: string[], env: Record<string, string | undefined>) {
  const io = captureIo({ env });
  const exitCode = await run(argv, io);
  return { exitCode, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('mirrorctl configuration errors', () => {
  it.each([
    ['MIRROR_TARGET_IDS', '--targets'],
    ['MIRROR_FILTER_ID', '--filter'],
    ['LEDGER_TABLE_NAME', '--table'],
  ])('exits 2 naming %s and %s when it is missing, with nothing on stdout even with --json', async (variable, flag) => {
    const { exitCode, stdout, stderr } = await runWith(['plan', '--json'], envWithout(variable));

    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(variable);
    expect(stderr).toContain(flag);
  });

  it('exits 2 naming the variable and the flag when a flag value is malformed', async () => {
    const { exitCode, stderr } = await runWith(['status', '--targets', 'tmt-nothex'], envWithout());

    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/^mirrorctl: MIRROR_TARGET_IDS: .*tmt-nothex.*--targets/);
  });

  it('exits 2 naming a variable that has no flag', async () => {
    const { exitCode, stderr } = await runWith(['reconcile'], { ...envWithout(), MIRROR_VNI: 'lots' });

    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/^mirrorctl: MIRROR_VNI: /);
  });

  it.each([
    [['plan', '--instance', 'web-1'], /--instance/],
    [['status', '--tag', 'traffic-mirror'], /--tag/],
    [['reconcile', '--bogus'], /unknown option '--bogus'/],
    [['destroy'], /unknown command 'destroy'/],
  ])('exits 2 on bad arguments: %j', async (argv, message) => {
    const { exitCode, stdout, stderr } = await runWith(argv, envWithout());

    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('applies --profile and --region to the environment the SDK clients are created from', async () => {
    const saved = {
      AWS_PROFILE: process.env.AWS_PROFILE,
      AWS_REGION: process.env.AWS_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    };
    try {
      // The configuration error stops the run right after the AWS location is applied: no client is created.
      await runWith(['plan', '--profile', 'mirror-ops', '--region', 'eu-west-3'], envWithout('MIRROR_TARGET_IDS'));

      expect(process.env.AWS_PROFILE).toBe('mirror-ops');
      expect(process.env.AWS_REGION).toBe('eu-west-3');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('mirrorctl --help', () => {
  it.each(['plan', 'status', 'reconcile'])('documents %s on stdout and exits 0', async (command) => {
    const { exitCode, stdout } = await runWith([command, '--help'], {});

    expect(exitCode).toBe(0);
    expect(stdout).toContain(`Usage: mirrorctl ${command} [options]`);
    for (const flag of ['--json', '--profile', '--region', '--table', '--targets', '--filter', '--tag', '--instance'])
      expect(stdout).toContain(flag);
  });
});
