/**
 * Output fits the terminal: at 80 columns (a real pseudo-terminal, through bin/mirrorctl.cjs) no line is wider,
 * and piped to a file the same report keeps its full-width lines. The sandbox's decision lines too.
 */
import { execFile } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { createRenderer } from '../../local/sandbox/render';
import { Ec2Seeder, startTestCloud, type TestCloud } from '../support/test-cloud';
import { BIN, cloudEnvironment, mirrorctl } from './bin-run';

let cloud: TestCloud;
let env: Record<string, string>;

const widest = (text: string): number =>
  Math.max(
    ...stripVTControlCharacters(text)
      .replace(/\r/g, '')
      .split('\n')
      .map((line) => line.length),
  );

/** Runs mirrorctl on a pseudo-terminal of `columns` columns (util-linux `script`), as a person at a terminal would. */
function onTerminal(columns: number, args: readonly string[]): Promise<string> {
  const command = `stty cols ${columns} rows 50; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { env, timeout: 60_000 }, (error, stdout) => {
      // script exits with the command's exit code; the output is what matters here.
      if (error && typeof error.code !== 'number') reject(error);
      else resolve(stdout);
    });
  });
}

beforeAll(async () => {
  cloud = await startTestCloud();
  const seed = new Ec2Seeder(cloud);
  const [targetId, filterId] = await Promise.all([seed.interfaceTarget(), seed.filter()]);
  const tagged = await seed.launch({ tags: { 'traffic-mirror': 'true' }, interfaces: 2 });
  await seed.handMadeSession(tagged.eniIds[0] as string, targetId, filterId, 1);
  await seed.launch({ type: 'm6i.large', tags: { 'traffic-mirror': 'true' } });
  env = cloudEnvironment(cloud, { LEDGER_TABLE_NAME: cloud.table.tableName, MIRROR_TARGET_IDS: targetId, MIRROR_FILTER_ID: filterId });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('terminal width', () => {
  it.each([['plan'], ['status']])('fits %s into an 80-column terminal and keeps full lines when piped', async (command) => {
    const terminal = await onTerminal(80, [command]);
    const piped = await mirrorctl([command], env);

    expect(stripVTControlCharacters(terminal)).toContain('i-');
    expect(widest(terminal)).toBeLessThanOrEqual(80);
    expect(widest(piped.stdout)).toBeGreaterThan(80);
  });

  it('uses the width of a wider terminal instead of wrapping at 80', async () => {
    const terminal = await onTerminal(200, ['status']);

    expect(widest(terminal)).toBeGreaterThan(80);
    expect(widest(terminal)).toBeLessThanOrEqual(200);
  });
});

describe('sandbox lines', () => {
  const decision = {
    time: '2026-12-04T22:00:00.123Z',
    functionName: 'vpc-mirror-orchestrator-dev-stateChange',
    instanceId: 'i-0123456789abcdef0',
    eniId: 'eni-0123456789abcdef0',
    action: 'attach' as const,
    reason: 'eligible',
    targetId: 'tmt-0123456789abcdef0',
    sessionNumber: 1,
    level: 'INFO',
  };

  function rendered(width: number | undefined): string {
    let out = '';
    const renderer = createRenderer({
      write: (text) => (out += text),
      color: false,
      names: new Map([['i-0123456789abcdef0', 'web-1']]),
      targetLabels: new Map([['tmt-0123456789abcdef0', 'ids-1']]),
      ...(width !== undefined && { width }),
    });
    renderer.stepHeader(1, 3, {
      title: 'launch the web tier',
      expect: 'every eligible ENI of a tagged instance is mirrored exactly once, by one session of ours',
      actions: [],
    } as never);
    renderer.decision(decision);
    renderer.decision({
      ...decision,
      action: 'fail',
      reason: 'error',
      detail: 'CreateTrafficMirrorSession eni-0123456789abcdef0 -> tmt-0123456789abcdef0 failed (InternalError): try again',
    });
    return out;
  }

  it('fits an 80-column terminal, naming the instance by its fleet name', () => {
    const narrow = rendered(80);

    expect(widest(narrow)).toBeLessThanOrEqual(80);
    expect(narrow).toContain('web-1');
    expect(narrow).toContain('-> ids-1');
  });

  it('keeps whole lines, with the function and the instance id, off a terminal', () => {
    const whole = rendered(undefined);

    expect(widest(whole)).toBeGreaterThan(80);
    expect(whole).toContain('stateChange');
    expect(whole).toContain('i-0123456789abcdef0');
  });
});
