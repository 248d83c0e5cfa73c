/** `npm start --silent -- --json`: the real command in a child process; stdout must be one JSON document. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JsonSummary } from '../../local/sandbox/json';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

jest.setTimeout(180_000);

describe('npm start --silent -- --json', () => {
  it('prints a parseable summary with instances, sessions, decisions and no violations', async () => {
    // The README's command itself, from a shell whose PATH has no node_modules/.bin (the system Node may be older
    // than 24: npm's scripts must still run the sandbox on the Node 24 dev dependency); --silent keeps npm's banner
    // off stdout.
    const shellPath = (process.env['PATH'] ?? '').split(path.delimiter).filter((directory) => !directory.includes('node_modules'));
    const { stdout, stderr } = await run('npm', ['start', '--silent', '--', '--json', '--instances', '12', '--seed', '3'], {
      cwd: ROOT,
      timeout: 150_000,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, PATH: shellPath.join(path.delimiter), NO_COLOR: '1' },
    });
    const summary = JSON.parse(stdout) as JsonSummary;

    expect(summary.ok).toBe(true);
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(summary.violations).toEqual([]);
    expect(summary.seed).toBe(3);
    expect(summary.instances).toHaveLength(12);
    expect(summary.sessions.some((session) => session.managed)).toBe(true);
    expect(summary.decisions.some((decision) => decision.action === 'refuse')).toBe(true);
    expect(summary.invariants.map((check) => check.name)).toEqual([
      'eligible-mirrored-once',
      'nothing-unwanted-mirrored',
      'eni-session-limit',
      'target-source-limit',
      'hand-made-untouched',
    ]);
  });

  it('rejects a fleet too small for the story, naming the option', async () => {
    await expect(
      run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'sandbox', 'main.ts'), '--instances', '3'], {
        cwd: ROOT,
        timeout: 60_000,
      }),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--instances') });
  });
});
