import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { DeadLetterQueue, type LambdaLogLine, LocalLambda, type LocalLambdaOptions } from '@vpc-mirror-orchestrator/local-lambda';
import { isAlive } from '../support/processes';

const HANDLERS = path.resolve(__dirname, 'fixtures/handlers');
const REPO = path.resolve(__dirname, '../..');

describe('LocalLambda', () => {
  const started: LocalLambda[] = [];
  let scratch: string;

  const lambda = (options: Partial<LocalLambdaOptions> = {}): LocalLambda => {
    const instance = new LocalLambda({
      functionKey: 'fixture',
      functionName: 'svc-test-fixture',
      modulePath: path.join(HANDLERS, 'echo.ts'),
      cwd: REPO,
      timeoutSeconds: 10,
      region: 'eu-west-1',
      accountId: '111122223333',
      ...options,
    });
    started.push(instance);
    return instance;
  };

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'local-lambda-'));
  });

  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.stop()));
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs the handler with a Lambda-like context and reuses the warm container', async () => {
    const fn = lambda();

    const first = await fn.invoke({ hello: 'world' });
    const second = await fn.invoke({ hello: 'again' });

    expect(first).toMatchObject({ ok: true, coldStart: true, value: { echo: { hello: 'world' }, functionName: 'svc-test-fixture' } });
    expect((first.value as { remainingMs: number }).remainingMs).toBeGreaterThan(0);
    expect((first.value as { remainingMs: number }).remainingMs).toBeLessThanOrEqual(10_000);
    expect(second).toMatchObject({ ok: true, coldStart: false, containerId: first.containerId });
    // Loaded once: the module-level timestamp is the same in both invocations.
    expect((second.value as { loadedAt: number }).loadedAt).toBe((first.value as { loadedAt: number }).loadedAt);
    const stats = fn.stats();
    expect(stats).toMatchObject({ invocations: 2, succeeded: 2, errors: 0, coldStarts: 1 });
    expect(stats.containers[0]?.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(stats.coldStartDurations.count).toBe(1);
  });

  it('gives the container the function environment and Lambda variables, not the parent environment', async () => {
    process.env['LOCAL_LAMBDA_TEST_LEAK'] = 'parent-only';
    const fn = lambda({ environment: { MIRROR_TAG_KEY: 'traffic-mirror', LEDGER_TABLE_NAME: 'ledger-local' } });

    const result = await fn.invoke({
      behave: 'env',
      names: [
        'MIRROR_TAG_KEY',
        'LEDGER_TABLE_NAME',
        'AWS_LAMBDA_FUNCTION_NAME',
        'AWS_REGION',
        'AWS_ACCESS_KEY_ID',
        'LOCAL_LAMBDA_TEST_LEAK',
      ],
    });

    expect(result.value).toEqual({
      MIRROR_TAG_KEY: 'traffic-mirror',
      LEDGER_TABLE_NAME: 'ledger-local',
      AWS_LAMBDA_FUNCTION_NAME: 'svc-test-fixture',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      LOCAL_LAMBDA_TEST_LEAK: null,
    });
    delete process.env['LOCAL_LAMBDA_TEST_LEAK'];
  });

  it('runs the handler on the Node major the stack deploys (nodejs24.x), with the SDK left to warn if it were older', async () => {
    const fn = lambda({ environment: {} });

    const runtime = await fn.invoke({ behave: 'runtime' });
    const suppressed = await fn.invoke({ behave: 'env', names: ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] });

    expect(runtime.value).toEqual({ nodeVersion: expect.stringMatching(/^v24\./), executionEnv: 'AWS_Lambda_nodejs24.x' });
    expect(suppressed.value).toEqual({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: null });
  });

  it('retries a failing async invocation twice, then dead-letters an on-failure record', async () => {
    const deadLetters = new DeadLetterQueue(path.join(scratch, 'dlq.jsonl'));
    const fn = lambda({ deadLetters, onFailureDestination: 'arn:aws:sqs:eu-west-1:111122223333:dlq' });
    const event = { behave: 'throw', id: 'evt-1' };

    const outcome = await fn.invokeAsync(event);

    expect(outcome).toMatchObject({ status: 'dead-lettered', attempts: 3, error: { errorType: 'FixtureFailure' } });
    expect(fn.stats()).toMatchObject({ asyncInvocations: 1, invocations: 3, errors: 3, retries: 2, deadLettered: 1 });
    const [letter] = deadLetters.entries();
    expect(letter).toMatchObject({
      functionKey: 'fixture',
      destination: 'arn:aws:sqs:eu-west-1:111122223333:dlq',
      record: {
        version: '1.0',
        requestContext: {
          requestId: outcome.requestId,
          functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:svc-test-fixture:$LATEST',
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'FixtureFailure', errorMessage: 'the fixture handler failed on purpose' },
      },
    });
    const lines = readFileSync(path.join(scratch, 'dlq.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).record.requestContext.requestId)).toEqual([outcome.requestId]);
  });

  it('honours maximumRetryAttempts from the stack', async () => {
    const fn = lambda({ maximumRetryAttempts: 0, deadLetters: new DeadLetterQueue() });

    const outcome = await fn.invokeAsync({ behave: 'throw' });

    expect(outcome).toMatchObject({ status: 'dead-lettered', attempts: 1 });
    expect(fn.stats().retries).toBe(0);
  });

  it('fails an invocation that outlives the timeout and replaces its container', async () => {
    const fn = lambda({ timeoutSeconds: 0.5 });

    const result = await fn.invoke({ behave: 'sleep', ms: 20_000 });
    const after = await fn.invoke({ hello: 'fresh' });

    expect(result).toMatchObject({ ok: false, failure: 'timeout', error: { errorType: 'Sandbox.Timedout' } });
    expect(result.error?.errorMessage).toContain('Task timed out after 0.50 seconds');
    expect(after).toMatchObject({ ok: true, coldStart: true });
    expect(after.containerId).not.toBe(result.containerId);
    expect(fn.stats().timeouts).toBe(1);
    // The timed-out container is gone, but its memory peak still counts.
    expect(fn.stats().peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('retries an async invocation whose container exits mid-invocation', async () => {
    const fn = lambda();
    const marker = path.join(scratch, 'crashed-once');

    const outcome = await fn.invokeAsync({ behave: 'exit-once', marker });

    expect(outcome).toMatchObject({ status: 'succeeded', attempts: 2, value: { survived: true } });
    expect(fn.stats()).toMatchObject({ crashes: 1, retries: 1, deadLettered: 0, coldStarts: 2 });
  });

  it('retries an async invocation whose container is killed from outside while busy', async () => {
    const fn = lambda();

    const outcome = fn.invokeAsync({ behave: 'sleep', ms: 500 });
    await waitUntil(() => fn.stats().containers.some((container) => container.state === 'busy'), 20_000);
    const busy = fn.stats().containers.find((container) => container.state === 'busy');
    fn.kill(busy?.id ?? 'none');

    expect(busy).toBeDefined();
    expect(await outcome).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(fn.stats()).toMatchObject({ crashes: 1, retries: 1 });
  });

  it('reports a module that fails to load as an init failure with its message', async () => {
    const fn = lambda({ modulePath: path.join(HANDLERS, 'broken.ts') });

    const result = await fn.invoke({});

    expect(result).toMatchObject({ ok: false, failure: 'init', error: { errorMessage: 'MIRROR_TARGET_IDS is required' } });
    expect(fn.stats().containers).toEqual([]);
  });

  it('never runs more containers than the reserved concurrency, queueing the rest', async () => {
    const fn = lambda({ reservedConcurrency: 2 });
    const journal = path.join(scratch, 'journal.txt');
    let maxQueued = 0;

    const pending = Array.from({ length: 6 }, () => fn.invokeAsync({ behave: 'sleep', ms: 200, journal }));
    maxQueued = fn.stats().queued;
    const outcomes = await Promise.all(pending);

    expect(outcomes.every((outcome) => outcome.status === 'succeeded')).toBe(true);
    expect(maxQueued).toBeGreaterThan(0);
    expect(fn.stats().containers.length).toBeLessThanOrEqual(2);
    let running = 0;
    let peak = 0;
    for (const line of readFileSync(journal, 'utf8').trim().split('\n')) {
      running += line.startsWith('start') ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(2);
  });

  it('forwards container output to the log sink, attributed to the request, JSON parsed', async () => {
    const lines: LambdaLogLine[] = [];
    const fn = lambda({ logSink: (line) => lines.push(line) });

    const result = await fn.invoke({ hello: 'logs' });
    await waitUntil(() => lines.filter((line) => line.requestId === result.requestId).length >= 2, 10_000);

    const mine = lines.filter((line) => line.requestId === result.requestId);
    expect(mine.find((line) => line.stream === 'stdout')).toMatchObject({
      functionKey: 'fixture',
      json: { level: 'INFO', message: 'invoked', requestId: result.requestId },
    });
    expect(mine.find((line) => line.stream === 'stderr')).toMatchObject({
      line: `plain stderr line for ${result.requestId}`,
      json: undefined,
    });
  });

  it('kills containers on demand and leaves no child behind after stop', async () => {
    const fn = lambda({ reservedConcurrency: 3 });
    await fn.prewarm(3);
    const pids = fn
      .stats()
      .containers.map((container) => container.pid)
      .filter((pid): pid is number => pid !== undefined);
    expect(pids).toHaveLength(3);

    const firstId = fn.containerIds()[0] as string;
    expect(fn.kill(firstId)).toBe(1);
    const afterKill = await fn.invoke({ hello: 'still served' });
    await fn.stop();

    expect(afterKill.ok).toBe(true);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await fn.invoke({})).toMatchObject({ ok: false, error: { errorType: 'LocalLambda.Stopped' } });
  });
});

describe('LocalLambda containers when the parent dies', () => {
  it('exit when the parent process is killed without stop()', async () => {
    const parent = spawn(
      process.execPath,
      ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, 'fixtures/orphan-parent.ts')],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let pids: number[] = [];
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the parent printed no pids within 30 s')), 30_000);
        createInterface({ input: parent.stdout as NodeJS.ReadableStream }).once('line', (line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
      pids = JSON.parse(firstLine) as number[];
      expect(pids.filter(isAlive)).toHaveLength(2);

      parent.kill('SIGKILL');
      await waitUntil(() => pids.filter(isAlive).length === 0, 15_000);

      expect(pids.filter(isAlive)).toEqual([]);
    } finally {
      // A failing run must not leave the parent or its containers behind for the next suite.
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
