/**
 * `npm run local` as a newcomer runs it: one command, export lines on stdout (and in a file) that make mirrorctl talk
 * to it, the fleet already converged by the functions, and Ctrl-C stopping every server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type { StatusReport } from '../../cli/views/status';
import { useScratchDir } from '../support/scratch-dir';
import { cleanEnvironment, mirrorctl } from './bin-run';

const REPO = path.join(__dirname, '..', '..');
const READY_TIMEOUT_MS = 120_000;

let world: ChildProcess;
let stdout = '';
let stderr = '';
let exportFile: string;
const scratch = useScratchDir('mirrorctl-local-');

function exportsOf(text: string): Record<string, string> {
  return Object.fromEntries(
    [...text.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)].map((match) => [match[1] as string, match[2] as string]),
  );
}

function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`));
      else setTimeout(poll, 100);
    };
    poll();
  });
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  exportFile = path.join(scratch(), 'mirrorctl.env');
  // Its own process group, as a shell runs a foreground job: Ctrl-C reaches npm, tsx and the world together.
  world = spawn('npm', ['run', 'local', '--silent', '--', '--export-file', exportFile], {
    cwd: REPO,
    env: cleanEnvironment(),
    detached: true,
  });
  world.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  world.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => stdout.includes('Ctrl-C stops it.'), READY_TIMEOUT_MS, 'the local world');
}, READY_TIMEOUT_MS + 10_000);

afterAll(() => {
  const running = world.exitCode === null && world.signalCode === null;
  if (running && world.pid !== undefined) process.kill(-world.pid, 'SIGKILL');
});

describe('npm run local', () => {
  it('prints export lines, writes the same lines to the file, and mirrorctl status finds the fleet converged (exit 0)', async () => {
    const exported = exportsOf(stdout);

    const status = await mirrorctl(['status', '--json'], { ...cleanEnvironment(), ...exported });

    expect(exportsOf(readFileSync(exportFile, 'utf8'))).toEqual(exported);
    expect(Object.keys(exported)).toEqual(
      expect.arrayContaining([
        'AWS_ENDPOINT_URL_EC2',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_ENDPOINT_URL_EVENTBRIDGE',
        'LEDGER_TABLE_NAME',
        'MIRROR_TARGET_IDS',
        'MIRROR_FILTER_ID',
        'MIRROR_OWNER_ID',
      ]),
    );
    for (const name of ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_EVENTBRIDGE'])
      expect(exported[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.instances).toHaveLength(3);
    expect(report.drift.total).toBe(0);
    expect(report.findings.configuration).toEqual([]);
    const mirrored = report.instances
      .flatMap((instance) => instance.enis.flatMap((eni) => eni.sessions))
      .filter((session) => session.owner === 'managed');
    expect(mirrored).toHaveLength(3);
  });

  it('prints the variables docs/CLI.md shows in its session transcript, in the same order', () => {
    const doc = readFileSync(path.join(REPO, 'docs', 'CLI.md'), 'utf8');
    const transcript = doc.slice(doc.indexOf('    $ npm run local'), doc.indexOf('    # Ctrl-C stops it.'));
    const documented = [...transcript.matchAll(/^ {4}export ([A-Z0-9_]+)=/gm)].map((match) => match[1]);

    expect(documented.length).toBeGreaterThan(0);
    expect(Object.keys(exportsOf(stdout))).toEqual(documented);
  });

  it('stops every server and removes the export file on Ctrl-C', async () => {
    const ec2 = exportsOf(stdout).AWS_ENDPOINT_URL_EC2 as string;
    const exited = new Promise<void>((resolve) => world.once('exit', () => resolve()));

    process.kill(-(world.pid as number), 'SIGINT');
    await exited;

    expect(stderr).toContain('Stopped.');
    expect(existsSync(exportFile)).toBe(false);
    expect(await reachable(ec2)).toBe(false);
  }, 60_000);
});
