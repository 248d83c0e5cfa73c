/**
 * mirrorctl report: coverage per account / VPC / zone, each ENI and why it is not mirrored, target load, unknown
 * sessions and mirrored intervals from the ledger history, read live from the simulator and dynalite; rendered as a
 * self-contained HTML file, CSV or JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../cli/main';
import { csvCell } from '../../cli/render/report-csv';
import { escapeHtml } from '../../cli/render/report-html';
import type { CoverageReport } from '../../cli/views/report';
import { Ec2Seeder, setFunctionEnvironment, startTestCloud, type TestCloud } from '../support/test-cloud';
import { captureIo } from './cli-io';

const TAG = { 'traffic-mirror': 'true' };

let cloud: TestCloud;
let seed: Ec2Seeder;
let workDir: string;
let fleet: Record<'mirrored' | 'unsupported' | 'full' | 'ended' | 'bystander', { instanceId: string; eniIds: string[] }>;
let poolTarget: string;
let outsideTarget: string;
let unknownSession: string;
let untaggedAt: Date;

async function report(...args: string[]) {
  const io = captureIo();
  const exitCode = await run(['report', ...args], io);
  return { exitCode, io };
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'vmo-report-'));
  cloud = await startTestCloud();
  seed = new Ec2Seeder(cloud);
  const filterId = await seed.filter();
  poolTarget = await seed.interfaceTarget('eu-west-1a');
  outsideTarget = await seed.interfaceTarget('eu-west-1b');
  setFunctionEnvironment(cloud, { targetIds: [poolTarget], filterId });
  fleet = {
    mirrored: await seed.launch({ tags: TAG, interfaces: 2, zone: 'eu-west-1a' }),
    unsupported: await seed.launch({ type: 't2.micro', tags: TAG, zone: 'eu-west-1a' }),
    full: await seed.launch({ tags: TAG, zone: 'eu-west-1b' }),
    ended: await seed.launch({ tags: TAG, zone: 'eu-west-1a' }),
    bystander: await seed.launch({ zone: 'eu-west-1b' }),
  };
  for (const number of [1, 2, 3]) await seed.handMadeSession(fleet.full.eniIds[0] as string, poolTarget, filterId, number);
  unknownSession = await seed.handMadeSession(fleet.bystander.eniIds[0] as string, outsideTarget, filterId, 1);
  expect(await run(['reconcile'], captureIo())).toBe(0);
  await seed.untag(fleet.ended.instanceId, 'traffic-mirror');
  untaggedAt = new Date();
  expect(await run(['reconcile', '--instance', fleet.ended.instanceId], captureIo())).toBe(0);
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('mirrorctl report --format json', () => {
  it('gives coverage per zone, VPC and account, with each ENI and why it is or is not mirrored', async () => {
    const { exitCode, io } = await report('--format', 'json');
    const document = io.json<CoverageReport>();

    expect(exitCode).toBe(0);
    expect(document.coverage.total).toEqual({ key: 'all', eligible: 3, mirrored: 2, percent: 66.7 });
    expect(document.coverage.byZone).toEqual([
      { key: 'eu-west-1a', eligible: 2, mirrored: 2, percent: 100 },
      { key: 'eu-west-1b', eligible: 1, mirrored: 0, percent: 0 },
    ]);
    expect(document.coverage.byAccount.map((group) => group.key)).toEqual([cloud.sim.accountId]);
    expect(document.coverage.byVpc).toHaveLength(1);
    expect(document.coverage.byVpc[0]?.key).toMatch(/^vpc-/);
    const eniReasons = (instanceId: string) =>
      document.instances.find((instance) => instance.instanceId === instanceId)?.enis.map((eni) => [eni.coverage, eni.reason]);
    expect(eniReasons(fleet.mirrored.instanceId)).toEqual([
      ['mirrored', 'already-mirrored'],
      ['mirrored', 'already-mirrored'],
    ]);
    expect(eniReasons(fleet.unsupported.instanceId)).toEqual([['not-eligible', 'unsupported-instance-type']]);
    expect(eniReasons(fleet.full.instanceId)).toEqual([['unmirrored', 'interface-session-limit']]);
    // Untagged and unmirrored: out of the sweep's scope, it remains only in the audit intervals.
    expect(eniReasons(fleet.ended.instanceId)).toBeUndefined();
  });

  it('lists target load, the unknown sessions and every mirrored interval of the range', async () => {
    const document = (await report('--format', 'json')).io.json<CoverageReport>();

    // The ledger counts our sources (mirrored's two ENIs); hand-made sessions to the target are EC2's to count.
    expect(document.targets).toEqual([{ targetId: poolTarget, kind: 'network-interface', sources: 2, sourceLimit: 10 }]);
    expect(document.unknownSessions).toEqual([
      expect.objectContaining({
        sessionId: unknownSession,
        targetId: outsideTarget,
        instanceId: fleet.bystander.instanceId,
        cause: 'target-not-configured',
        announced: false,
      }),
    ]);
    const intervals = document.intervals.map((interval) => [interval.instanceId, interval.openAtEnd, interval.endReason]);
    expect(intervals).toEqual(
      [
        [fleet.ended.instanceId, false, 'not-tagged'],
        [fleet.mirrored.instanceId, true, undefined],
        [fleet.mirrored.instanceId, true, undefined],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('shows an interval as still open when the range ends before it did, and nothing for a range before any mirroring', async () => {
    const beforeUntag = new Date(untaggedAt.getTime() - 1).toISOString();
    const clipped = (await report('--format', 'json', '--until', beforeUntag)).io.json<CoverageReport>();
    const before = (await report('--format', 'json', '--since', '2026-01-01', '--until', '2026-01-02')).io.json<CoverageReport>();

    expect(clipped.intervals.find((interval) => interval.instanceId === fleet.ended.instanceId)).toMatchObject({
      openAtEnd: true,
      to: beforeUntag,
    });
    expect(before.intervals).toEqual([]);
  });

  it('refuses a malformed or reversed range with exit code 2', async () => {
    expect((await report('--since', 'last week')).exitCode).toBe(2);
    const reversed = await report('--since', '2026-12-02', '--until', '2026-12-01');
    expect(reversed.exitCode).toBe(2);
    expect(reversed.io.stderrText()).toContain('must be before --until');
  });
});

describe('mirrorctl report (HTML)', () => {
  it('writes one self-contained file: inline style and SVG chart, no script, no link, nothing fetched', async () => {
    const file = path.join(workDir, 'report.html');

    const { exitCode, io } = await report('--output', file);
    const html = readFileSync(file, 'utf8');

    expect(exitCode).toBe(0);
    expect(io.stderrText()).toContain(`wrote the html report to ${file}`);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
    // The only URL is the SVG namespace, which identifies and is never fetched.
    expect(html.match(/https?:\/\/[^"'\s<]+/g)).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
    for (const instance of [fleet.mirrored, fleet.unsupported, fleet.full, fleet.ended]) expect(html).toContain(instance.instanceId);
    expect(html).toContain('interface-session-limit');
    expect(html).toContain(unknownSession);
  });

  it('escapes every value it prints', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)">&\'')).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
  });
});

describe('mirrorctl report --format csv', () => {
  it('prints one RFC 4180 table with a record column, one eni row per network interface', async () => {
    const { exitCode, io } = await report('--format', 'csv');
    const lines = io.stdoutText().trimEnd().split('\r\n');

    expect(exitCode).toBe(0);
    expect(lines[0]?.startsWith('record,group,account,vpc,zone,instanceId,')).toBe(true);
    expect(lines.filter((line) => line.startsWith('eni,'))).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith('unmanaged,'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('interval,'))).toHaveLength(3);
    expect(csvCell('a "quoted", value')).toBe('"a ""quoted"", value"');
  });
});
