/**
 * LocalLambda: runs one function's handler the way Lambda does, in forked child processes ("containers",
 * container-process.ts) that load the module once and then serve invocations one at a time over IPC. Warm
 * containers are reused and a reserved-concurrency bound queues the excess (pool.ts); here, the function's
 * invocation semantics: synchronous invokes, async invocations retried on error, timeout or crash and ending in the
 * dead-letter queue, and the statistics. Nothing here waits without a bound: every wait has a timer, and children
 * die with us.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Container, runInContainer, spawnContainer } from './container-process';
import type { LambdaErrorPayload, OnFailureRecord } from './dead-letters';
import { keep, summarize } from './durations';
import { delay, failure, isErrorPayload, observe, stoppedPayload } from './failures';
import {
  type AsyncInvokeOutcome,
  type AttemptResult,
  type InvocationReport,
  type InvokeResult,
  type LambdaStats,
  LambdaStoppedError,
  type LocalLambdaOptions,
} from './lambda-types';
import { ContainerPool } from './pool';

export * from './lambda-types';

const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];
const STOP_GRACE_MS = 2_000;

export class LocalLambda {
  readonly functionKey: string;
  readonly functionName: string;
  readonly functionArn: string;
  private readonly options: Required<
    Pick<
      LocalLambdaOptions,
      | 'timeoutSeconds'
      | 'memorySizeMb'
      | 'maximumRetryAttempts'
      | 'reservedConcurrency'
      | 'timeScale'
      | 'initTimeoutMs'
      | 'region'
      | 'accountId'
    >
  >;
  private readonly pool: ContainerPool;
  private readonly runningAsync = new Set<Promise<AsyncInvokeOutcome>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private stopped = false;
  private readonly counters = {
    asyncInvocations: 0,
    invocations: 0,
    succeeded: 0,
    errors: 0,
    timeouts: 0,
    crashes: 0,
    initFailures: 0,
    retries: 0,
    deadLettered: 0,
    coldStarts: 0,
  };
  private readonly durations: number[] = [];
  private readonly coldStartDurations: number[] = [];

  constructor(private readonly config: LocalLambdaOptions) {
    if (!existsSync(config.modulePath)) throw new Error(`LocalLambda ${config.functionKey}: module not found: ${config.modulePath}`);
    this.functionKey = config.functionKey;
    this.functionName = config.functionName ?? config.functionKey;
    this.options = {
      timeoutSeconds: config.timeoutSeconds ?? 6,
      memorySizeMb: config.memorySizeMb ?? 1024,
      maximumRetryAttempts: config.maximumRetryAttempts ?? 2,
      reservedConcurrency: config.reservedConcurrency ?? 4,
      timeScale: config.timeScale ?? 0.001,
      initTimeoutMs: config.initTimeoutMs ?? 30_000,
      region: config.region ?? 'us-east-1',
      accountId: config.accountId ?? '000000000000',
    };
    if (this.options.reservedConcurrency < 1) throw new Error(`LocalLambda ${config.functionKey}: reservedConcurrency must be at least 1`);
    this.functionArn = `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${this.functionName}`;
    // TypeScript sources need tsx's loader; bundled JavaScript runs on plain node, as in Lambda.
    const execArgv = /\.(c|m)?ts$/.test(config.modulePath) ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
    this.pool = new ContainerPool({
      functionKey: this.functionKey,
      reservedConcurrency: this.options.reservedConcurrency,
      spawn: (id) =>
        spawnContainer({
          id,
          modulePath: config.modulePath,
          exportName: config.exportName ?? 'handler',
          cwd: config.cwd ?? process.cwd(),
          environment: this.containerEnvironment(id),
          execArgv,
          initTimeoutMs: this.options.initTimeoutMs,
          onLog: (line) =>
            observe('logSink', () => this.config.logSink?.({ functionKey: this.functionKey, functionName: this.functionName, ...line })),
        }),
      onColdStart: (container) => {
        this.counters.coldStarts += 1;
        if (container.coldStartMs !== undefined) keep(this.coldStartDurations, container.coldStartMs);
      },
    });
  }

  /** Synchronous (RequestResponse) invocation: one attempt, no retries; a function error is a result, not a throw. */
  async invoke(payload: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const attempt = await this.runAttempt(payload, requestId, 1);
    return { requestId, ...attempt };
  }

  /**
   * Asynchronous (Event) invocation, as EventBridge makes: retried up to maximumRetryAttempts with Lambda's
   * backoff (scaled by timeScale); after the last failure the on-failure record goes to the dead-letter queue.
   * The promise resolves when the invocation is finished one way or another; it never rejects.
   */
  invokeAsync(payload: unknown): Promise<AsyncInvokeOutcome> {
    if (this.stopped)
      return Promise.resolve({ requestId: randomUUID(), status: 'aborted', attempts: 0, value: undefined, error: stoppedPayload() });
    this.counters.asyncInvocations += 1;
    const run = this.runAsync(payload);
    this.runningAsync.add(run);
    void run.finally(() => this.runningAsync.delete(run));
    return run;
  }

  /** Resolves when no async invocation is running or waiting for a retry (bounded by timeoutMs). */
  async drain(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.runningAsync.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await Promise.race([Promise.allSettled([...this.runningAsync]), delay(remaining)]);
    }
    return true;
  }

  /**
   * Starts containers ahead of traffic (up to the concurrency bound), so a benchmark can exclude cold starts.
   * Rejects with an Error naming the init failure when a container cannot load the module.
   */
  prewarm(count: number): Promise<void> {
    return this.pool.prewarm(count);
  }

  /** Crash injection: kills one container by id, or all of them. Returns how many were signalled. */
  kill(containerId: string | 'all', signal: NodeJS.Signals = 'SIGKILL'): number {
    return this.pool.kill(containerId, signal);
  }

  stats(): LambdaStats {
    return {
      functionKey: this.functionKey,
      ...this.counters,
      inFlight: this.pool.inFlight,
      queued: this.pool.queued,
      durations: summarize(this.durations),
      coldStartDurations: summarize(this.coldStartDurations),
      peakRssBytes: this.pool.peakRssBytes(),
      containers: this.pool.containerStats(),
    };
  }

  /** Ids of the live containers (for kill()). */
  containerIds(): string[] {
    return this.pool.containerIds();
  }

  /**
   * Ends everything: queued invocations and pending retries are aborted, running ones fail as crashes,
   * every child gets SIGTERM then SIGKILL after a short grace. Resolves when all children have exited.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const containersStopped = this.pool.stop();
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
    await containersStopped;
    await Promise.race([Promise.allSettled([...this.runningAsync]), delay(STOP_GRACE_MS)]);
  }
  private async runAsync(payload: unknown): Promise<AsyncInvokeOutcome> {
    const requestId = randomUUID();
    const maxAttempts = 1 + Math.max(0, Math.min(2, this.options.maximumRetryAttempts));
    let last: InvokeResult | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (this.stopped) return { requestId, status: 'aborted', attempts: attempt - 1, value: undefined, error: stoppedPayload() };
      if (attempt > 1) {
        this.counters.retries += 1;
        await this.sleep((LAMBDA_RETRY_DELAYS_MS[attempt - 2] ?? 120_000) * this.options.timeScale);
        if (this.stopped) return { requestId, status: 'aborted', attempts: attempt - 1, value: undefined, error: stoppedPayload() };
      }
      last = { requestId, ...(await this.runAttempt(payload, requestId, attempt)) };
      if (last.ok) return { requestId, status: 'succeeded', attempts: attempt, value: last.value, error: undefined };
      if (this.stopped) return { requestId, status: 'aborted', attempts: attempt, value: undefined, error: last.error };
    }
    const error = last?.error ?? { errorType: 'Unknown', errorMessage: 'no attempt ran' };
    this.deadLetter(requestId, payload, maxAttempts, error);
    return { requestId, status: 'dead-lettered', attempts: maxAttempts, value: undefined, error };
  }

  private deadLetter(requestId: string, payload: unknown, attempts: number, error: LambdaErrorPayload): void {
    this.counters.deadLettered += 1;
    const record: OnFailureRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${this.functionArn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    };
    this.config.deadLetters?.push({
      kind: 'lambda-on-failure',
      functionKey: this.functionKey,
      destination: this.config.onFailureDestination,
      record,
    });
  }

  private async runAttempt(payload: unknown, requestId: string, attempt: number): Promise<Omit<InvokeResult, 'requestId'>> {
    this.counters.invocations += 1;
    let container: Container | undefined;
    let coldStart = false;
    let result: AttemptResult;
    const started = performance.now();
    try {
      ({ container, coldStart } = await this.pool.acquire());
      result = await runInContainer(container, {
        requestId,
        payload,
        timeoutSeconds: this.options.timeoutSeconds,
        functionName: this.functionName,
        functionArn: this.functionArn,
        memorySizeMb: this.options.memorySizeMb,
      });
    } catch (error) {
      const stopped = error instanceof LambdaStoppedError;
      const payloadError = stopped
        ? stoppedPayload()
        : isErrorPayload(error)
          ? error
          : failure('Runtime.Unknown', String((error as Error)?.message ?? error));
      result = { ok: false, failure: stopped ? 'crash' : 'init', error: payloadError, durationMs: performance.now() - started };
    } finally {
      if (container) this.pool.release(container);
    }
    this.count(result);
    keep(this.durations, result.durationMs);
    const report: InvocationReport = {
      functionKey: this.functionKey,
      requestId,
      containerId: container?.id,
      attempt,
      coldStart,
      durationMs: result.durationMs,
      ok: result.ok,
      failure: result.ok ? undefined : result.failure,
      error: result.ok ? undefined : result.error,
    };
    if (this.config.onInvocation) observe('onInvocation', () => this.config.onInvocation?.(report));
    return result.ok
      ? {
          ok: true,
          value: result.value,
          error: undefined,
          failure: undefined,
          coldStart,
          durationMs: result.durationMs,
          containerId: container?.id,
        }
      : {
          ok: false,
          value: undefined,
          error: result.error,
          failure: result.failure,
          coldStart,
          durationMs: result.durationMs,
          containerId: container?.id,
        };
  }

  private count(result: AttemptResult): void {
    if (result.ok) {
      this.counters.succeeded += 1;
      return;
    }
    this.counters.errors += 1;
    if (result.failure === 'timeout') this.counters.timeouts += 1;
    if (result.failure === 'crash') this.counters.crashes += 1;
    if (result.failure === 'init') this.counters.initFailures += 1;
  }

  private containerEnvironment(containerId: string): NodeJS.ProcessEnv {
    const base: Record<string, string> = {};
    for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SystemRoot']) {
      const value = process.env[name];
      if (value !== undefined) base[name] = value;
    }
    return {
      ...base,
      TZ: 'UTC',
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      // Lambda sets it; Powertools reads it to tell cold starts.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_FUNCTION_NAME: this.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.options.memorySizeMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/${containerId}`,
      LAMBDA_TASK_ROOT: this.config.cwd ?? process.cwd(),
      ...this.config.environment,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(
          () => {
            this.sleepers.delete(sleeper);
            resolve();
          },
          Math.max(0, ms),
        ),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}
