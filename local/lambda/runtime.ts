/**
 * LocalLambda: runs one function's handler the way Lambda does, in forked child processes ("containers") that
 * load the module once and then serve invocations one at a time over IPC. Warm containers are reused; a
 * reserved-concurrency bound queues the excess; async invocations retry on error, timeout or crash and end in
 * the dead-letter queue. Nothing here waits without a bound: every wait has a timer, and children die with us.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { DeadLetterQueue, LambdaErrorPayload, OnFailureRecord } from './dead-letters';

export interface LambdaLogLine {
  readonly functionKey: string;
  readonly functionName: string;
  readonly containerId: string;
  /** The invocation the line was written during; undefined while the module loads (init). */
  readonly requestId: string | undefined;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  /** The line parsed, when it is a JSON object (Powertools logs are). */
  readonly json: Record<string, unknown> | undefined;
  readonly at: number;
}

export type AttemptFailureKind = 'error' | 'timeout' | 'crash' | 'init';

/** One attempt, as seen by observers (the sandbox renders these like Lambda's REPORT lines). */
export interface InvocationReport {
  readonly functionKey: string;
  readonly requestId: string;
  readonly containerId: string | undefined;
  /** 1 for the first attempt, 2 for the first retry... */
  readonly attempt: number;
  readonly coldStart: boolean;
  /** Handler time as measured in the container; wall time in the parent for timeouts and crashes. */
  readonly durationMs: number;
  readonly ok: boolean;
  readonly failure: AttemptFailureKind | undefined;
  readonly error: LambdaErrorPayload | undefined;
}

export interface LocalLambdaOptions {
  /** Key in serverless.yml (instanceEvents). */
  readonly functionKey: string;
  /** Deployed-style name, AWS_LAMBDA_FUNCTION_NAME; defaults to functionKey. */
  readonly functionName?: string;
  /** The module file to load: a .ts source (run with tsx) or a bundled .js/.cjs/.mjs artifact (plain node). */
  readonly modulePath: string;
  readonly exportName?: string;
  /** Working directory of the containers (the repo root, or the unpacked artifact). */
  readonly cwd?: string;
  /** The function's environment (resolved stack environment + local overrides). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly timeoutSeconds?: number;
  readonly memorySizeMb?: number;
  /** Async invocation retries after the first attempt (Lambda: 0..2, default 2). */
  readonly maximumRetryAttempts?: number;
  /** Containers that may run at once; invocations beyond it wait in a FIFO queue. Default 4. */
  readonly reservedConcurrency?: number;
  /** Multiplies Lambda's async retry delays (1 min, 2 min). Default 0.001 (60 ms, 120 ms). */
  readonly timeScale?: number;
  /** Bound on module load (Lambda: 10 s; tsx on a busy machine is slower). Default 30 s. */
  readonly initTimeoutMs?: number;
  readonly region?: string;
  readonly accountId?: string;
  readonly deadLetters?: DeadLetterQueue;
  /** destinations.onFailure as written in serverless.yml, copied into dead letters. */
  readonly onFailureDestination?: string;
  readonly logSink?: (line: LambdaLogLine) => void;
  readonly onInvocation?: (report: InvocationReport) => void;
}

export interface InvokeResult {
  readonly requestId: string;
  readonly ok: boolean;
  readonly value: unknown;
  readonly error: LambdaErrorPayload | undefined;
  readonly failure: AttemptFailureKind | undefined;
  readonly coldStart: boolean;
  readonly durationMs: number;
  readonly containerId: string | undefined;
}

export interface AsyncInvokeOutcome {
  readonly requestId: string;
  /** aborted: the runtime stopped before the invocation could finish. */
  readonly status: 'succeeded' | 'dead-lettered' | 'aborted';
  readonly attempts: number;
  readonly value: unknown;
  readonly error: LambdaErrorPayload | undefined;
}

export interface ContainerStats {
  readonly id: string;
  readonly pid: number | undefined;
  readonly state: ContainerState;
  readonly invocations: number;
  /** Spawn to ready, wall time in the parent (node boot + loader + module load). */
  readonly coldStartMs: number | undefined;
  /** Module load alone, measured in the container. */
  readonly initMs: number | undefined;
  readonly lastRssBytes: number | undefined;
  /** Peak resident set size (getrusage maxRSS) reported by the container. */
  readonly peakRssBytes: number | undefined;
}

export interface DurationSummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface LambdaStats {
  readonly functionKey: string;
  /** Async invocations accepted (events). */
  readonly asyncInvocations: number;
  /** Attempts run (sync invokes, first attempts and retries). */
  readonly invocations: number;
  readonly succeeded: number;
  /** Failed attempts, of which timeouts, crashes and init failures. */
  readonly errors: number;
  readonly timeouts: number;
  readonly crashes: number;
  readonly initFailures: number;
  readonly retries: number;
  readonly deadLettered: number;
  readonly coldStarts: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly durations: DurationSummary;
  readonly coldStartDurations: DurationSummary;
  /** Highest peak RSS of any container this function ever ran, gone ones included. */
  readonly peakRssBytes: number | undefined;
  /** Live containers. */
  readonly containers: readonly ContainerStats[];
}

export class LambdaStoppedError extends Error {
  override readonly name = 'LambdaStoppedError';
}

type ContainerState = 'starting' | 'idle' | 'busy' | 'dead';

interface PendingAttempt {
  readonly requestId: string;
  readonly started: number;
  readonly settle: (result: AttemptResult) => void;
}

type AttemptResult =
  | { ok: true; value: unknown; durationMs: number }
  | { ok: false; failure: AttemptFailureKind; error: LambdaErrorPayload; durationMs: number };

const REQUEST_MARK = '\u001e__LOCAL_LAMBDA_REQUEST__ ';
const CONTAINER_SCRIPT = path.join(__dirname, 'container.mjs');
const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];
const STOP_GRACE_MS = 2_000;
const MAX_KEPT_DURATIONS = 10_000;

/** Every live child of every LocalLambda in this process, killed if the process exits without stop(). */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const orphan of liveChildren) orphan.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

class Container {
  state: ContainerState = 'starting';
  invocations = 0;
  coldStartMs: number | undefined;
  initMs: number | undefined;
  lastRssBytes: number | undefined;
  peakRssBytes: number | undefined;
  pending: PendingAttempt | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private currentRequest: Record<'stdout' | 'stderr', string | undefined> = { stdout: undefined, stderr: undefined };

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
    initTimeoutMs: number,
    private readonly onLog: (line: Omit<LambdaLogLine, 'functionKey' | 'functionName'>) => void,
  ) {
    const spawned = performance.now();
    trackChild(child);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.pipeLines('stdout');
    this.pipeLines('stderr');
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(failure('Runtime.InitTimeout', `module did not load within ${initTimeoutMs} ms`));
        this.kill('SIGKILL');
      }, initTimeoutMs);
      child.on('message', (message: ContainerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          this.coldStartMs = performance.now() - spawned;
          this.initMs = message.initMs;
          this.recordMemory(message);
          this.state = 'idle';
          resolve();
        } else if (message.type === 'init-error') {
          clearTimeout(timer);
          reject(message.error);
          this.kill('SIGKILL');
        } else if (message.type === 'result') {
          this.recordMemory(message);
          const pending = this.pending;
          if (!pending || pending.requestId !== message.requestId) return;
          this.pending = undefined;
          pending.settle(
            message.ok
              ? { ok: true, value: message.value, durationMs: message.durationMs }
              : { ok: false, failure: 'error', error: message.error, durationMs: message.durationMs },
          );
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const wasReady = this.state !== 'starting';
        this.state = 'dead';
        const error = failure('Runtime.ExitError', `container exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`);
        if (!wasReady) reject(error);
        const pending = this.pending;
        this.pending = undefined;
        pending?.settle({ ok: false, failure: 'crash', error, durationMs: performance.now() - pending.started });
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(failure('Runtime.SpawnError', error.message));
      });
    });
    // The ready promise is awaited by acquire(); this keeps an early rejection from being reported as unhandled.
    this.ready.catch(() => undefined);
  }

  send(message: unknown): boolean {
    if (!this.child.connected) return false;
    try {
      this.child.send(message as never);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private recordMemory(message: { rssBytes?: number; maxRssBytes?: number }): void {
    if (typeof message.rssBytes === 'number') this.lastRssBytes = message.rssBytes;
    const peak = Math.max(message.maxRssBytes ?? 0, message.rssBytes ?? 0);
    if (peak > 0) this.peakRssBytes = Math.max(this.peakRssBytes ?? 0, peak);
  }

  private pipeLines(stream: 'stdout' | 'stderr'): void {
    const source = this.child[stream];
    if (!source) return;
    const lines = createInterface({ input: source, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.startsWith(REQUEST_MARK)) {
        this.currentRequest[stream] = line.slice(REQUEST_MARK.length);
        return;
      }
      this.onLog({ containerId: this.id, requestId: this.currentRequest[stream], stream, line, json: parseJsonObject(line), at: Date.now() });
    });
  }
}

type ContainerMessage =
  | { type: 'ready'; initMs: number; rssBytes: number; maxRssBytes: number }
  | { type: 'init-error'; error: LambdaErrorPayload }
  | ({ type: 'result'; requestId: string; durationMs: number; rssBytes: number; maxRssBytes: number } & (
      | { ok: true; value: unknown }
      | { ok: false; error: LambdaErrorPayload }
    ));

export class LocalLambda {
  readonly functionKey: string;
  readonly functionName: string;
  readonly functionArn: string;
  private readonly options: Required<Pick<LocalLambdaOptions, 'timeoutSeconds' | 'memorySizeMb' | 'maximumRetryAttempts' | 'reservedConcurrency' | 'timeScale' | 'initTimeoutMs' | 'region' | 'accountId'>>;
  private readonly containers = new Map<string, Container>();
  /** Every container whose process has not exited yet, including killed ones already forgotten. */
  private readonly living = new Set<Container>();
  private readonly idle: Container[] = [];
  private readonly waiting: Array<{ grant: () => void; abort: (error: Error) => void }> = [];
  private readonly runningAsync = new Set<Promise<AsyncInvokeOutcome>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private permitsInUse = 0;
  private peakRssOfGoneContainers: number | undefined;
  private containerSequence = 0;
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
  private readonly execArgv: string[];

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
    this.execArgv = /\.(c|m)?ts$/.test(config.modulePath) ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
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
    if (this.stopped) return Promise.resolve({ requestId: randomUUID(), status: 'aborted', attempts: 0, value: undefined, error: stoppedPayload() });
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
  async prewarm(count: number): Promise<void> {
    const wanted = Math.max(0, Math.min(count, this.options.reservedConcurrency) - this.containers.size);
    await Promise.all(
      Array.from({ length: wanted }, async () => {
        await this.takePermit();
        try {
          this.release(await this.startContainerHoldingPermit());
        } catch (error) {
          const payload = isErrorPayload(error) ? error : failure('Runtime.Unknown', String(error));
          throw new Error(`${this.functionKey}: container failed to start: ${payload.errorType}: ${payload.errorMessage}`);
        }
      }),
    );
  }

  /** Crash injection: kills one container by id, or all of them. Returns how many were signalled. */
  kill(containerId: string | 'all', signal: NodeJS.Signals = 'SIGKILL'): number {
    const targets = containerId === 'all' ? [...this.containers.values()] : [this.containers.get(containerId)].filter(isDefined);
    for (const container of targets) {
      // An idle container is gone as soon as it is killed; a busy one fails its invocation when it exits.
      const idleAt = this.idle.indexOf(container);
      if (idleAt >= 0) {
        this.idle.splice(idleAt, 1);
        container.state = 'dead';
        this.forget(container);
      }
      container.kill(signal);
    }
    return targets.length;
  }

  stats(): LambdaStats {
    return {
      functionKey: this.functionKey,
      ...this.counters,
      inFlight: this.permitsInUse,
      queued: this.waiting.length,
      durations: summarize(this.durations),
      coldStartDurations: summarize(this.coldStartDurations),
      peakRssBytes: maxDefined([this.peakRssOfGoneContainers, ...[...this.containers.values()].map((container) => container.peakRssBytes)]),
      containers: [...this.containers.values()].map((container) => ({
        id: container.id,
        pid: container.child.pid,
        state: container.state,
        invocations: container.invocations,
        coldStartMs: container.coldStartMs,
        initMs: container.initMs,
        lastRssBytes: container.lastRssBytes,
        peakRssBytes: container.peakRssBytes,
      })),
    };
  }

  /** Ids of the live containers (for kill()). */
  containerIds(): string[] {
    return [...this.containers.keys()];
  }

  /**
   * Ends everything: queued invocations and pending retries are aborted, running ones fail as crashes,
   * every child gets SIGTERM then SIGKILL after a short grace. Resolves when all children have exited.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0)) waiter.abort(new LambdaStoppedError(`${this.functionKey} stopped`));
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
    const all = [...this.living];
    for (const container of all) container.kill('SIGTERM');
    const graceful = await Promise.race([Promise.all(all.map((container) => container.exited)).then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
    if (!graceful) {
      for (const container of all) container.kill('SIGKILL');
      await Promise.race([Promise.all(all.map((container) => container.exited)), delay(STOP_GRACE_MS)]);
    }
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
      requestContext: { requestId, functionArn: `${this.functionArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    };
    this.config.deadLetters?.push({ kind: 'lambda-on-failure', functionKey: this.functionKey, destination: this.config.onFailureDestination, record });
  }

  private async runAttempt(payload: unknown, requestId: string, attempt: number): Promise<Omit<InvokeResult, 'requestId'>> {
    this.counters.invocations += 1;
    let container: Container | undefined;
    let coldStart = false;
    let result: AttemptResult;
    const started = performance.now();
    try {
      ({ container, coldStart } = await this.acquire());
      result = await this.execute(container, payload, requestId);
    } catch (error) {
      const stopped = error instanceof LambdaStoppedError;
      const payloadError = stopped ? stoppedPayload() : isErrorPayload(error) ? error : failure('Runtime.Unknown', String((error as Error)?.message ?? error));
      result = { ok: false, failure: stopped ? 'crash' : 'init', error: payloadError, durationMs: performance.now() - started };
    } finally {
      if (container) this.release(container);
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
      ? { ok: true, value: result.value, error: undefined, failure: undefined, coldStart, durationMs: result.durationMs, containerId: container?.id }
      : { ok: false, value: undefined, error: result.error, failure: result.failure, coldStart, durationMs: result.durationMs, containerId: container?.id };
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

  private execute(container: Container, payload: unknown, requestId: string): Promise<AttemptResult> {
    const timeoutMs = this.options.timeoutSeconds * 1000;
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    container.state = 'busy';
    container.invocations += 1;
    return new Promise<AttemptResult>((resolve) => {
      const timer = setTimeout(() => {
        if (container.pending?.requestId !== requestId) return;
        container.pending = undefined;
        container.state = 'dead';
        // Lambda discards the environment of a timed-out invocation.
        container.kill('SIGKILL');
        resolve({
          ok: false,
          failure: 'timeout',
          error: failure('Sandbox.Timedout', `${new Date().toISOString()} ${requestId} Task timed out after ${this.options.timeoutSeconds.toFixed(2)} seconds`),
          durationMs: performance.now() - started,
        });
      }, timeoutMs);
      container.pending = {
        requestId,
        started,
        settle: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      const sent = container.send({
        type: 'invoke',
        requestId,
        payload,
        deadline,
        context: {
          functionName: this.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: this.functionArn,
          memoryLimitInMB: String(this.options.memorySizeMb),
          logGroupName: `/aws/lambda/${this.functionName}`,
          logStreamName: `local/${container.id}`,
          traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0`,
        },
      });
      if (!sent) {
        const pending = container.pending;
        container.pending = undefined;
        container.kill('SIGKILL');
        pending?.settle({ ok: false, failure: 'crash', error: failure('Runtime.ExitError', 'container is not connected'), durationMs: 0 });
      }
    });
  }

  /** Takes a concurrency permit (waiting in FIFO order), then a warm container or a new one. */
  private async acquire(): Promise<{ container: Container; coldStart: boolean }> {
    await this.takePermit();
    let warm = this.idle.shift();
    while (warm && warm.state !== 'idle') warm = this.idle.shift();
    if (warm) return { container: warm, coldStart: false };
    return { container: await this.startContainerHoldingPermit(), coldStart: true };
  }

  /** Spawns a container and waits for it to load; on failure the caller's permit is given back. */
  private async startContainerHoldingPermit(): Promise<Container> {
    const container = this.spawn();
    try {
      await container.ready;
    } catch (error) {
      this.forget(container);
      this.handOverPermit();
      throw error;
    }
    this.counters.coldStarts += 1;
    if (container.coldStartMs !== undefined) keep(this.coldStartDurations, container.coldStartMs);
    return container;
  }

  private async takePermit(): Promise<void> {
    if (this.stopped) throw new LambdaStoppedError(`${this.functionKey} stopped`);
    if (this.permitsInUse < this.options.reservedConcurrency) {
      this.permitsInUse += 1;
      return;
    }
    await new Promise<void>((grant, abort) => this.waiting.push({ grant, abort }));
  }

  private release(container: Container): void {
    if (container.state === 'dead' || this.stopped) {
      this.forget(container);
    } else {
      container.state = 'idle';
      this.idle.push(container);
    }
    this.handOverPermit();
  }

  /** A permit passes straight to the next waiter, so the bound holds without a gap. */
  private handOverPermit(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.permitsInUse -= 1;
  }

  private spawn(): Container {
    this.containerSequence += 1;
    const id = `${this.functionKey}-${this.containerSequence}`;
    const child = fork(CONTAINER_SCRIPT, [this.config.modulePath, this.config.exportName ?? 'handler'], {
      cwd: this.config.cwd ?? process.cwd(),
      env: this.containerEnvironment(id),
      execArgv: this.execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const container = new Container(id, child, this.options.initTimeoutMs, (line) =>
      observe('logSink', () => this.config.logSink?.({ functionKey: this.functionKey, functionName: this.functionName, ...line })),
    );
    this.containers.set(id, container);
    this.living.add(container);
    void container.exited.then(() => this.living.delete(container));
    // A container that dies while idle is forgotten, so the next invocation starts a fresh one.
    void container.exited.then(() => {
      const index = this.idle.indexOf(container);
      if (index >= 0) {
        this.idle.splice(index, 1);
        this.forget(container);
      }
    });
    return container;
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

  private forget(container: Container): void {
    this.peakRssOfGoneContainers = maxDefined([this.peakRssOfGoneContainers, container.peakRssBytes]);
    this.containers.delete(container.id);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, Math.max(0, ms)),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}

/**
 * Observers (renderers, collectors) must not be able to break invocations or crash the parent from a stream
 * callback: their errors are reported on stderr and the runtime carries on.
 */
function observe(what: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    process.stderr.write(`LocalLambda: ${what} threw: ${(error as Error)?.stack ?? String(error)}\n`);
  }
}

function failure(errorType: string, errorMessage: string): LambdaErrorPayload {
  return { errorType, errorMessage };
}

function stoppedPayload(): LambdaErrorPayload {
  return failure('LocalLambda.Stopped', 'the local runtime stopped before the invocation finished');
}

function isErrorPayload(value: unknown): value is LambdaErrorPayload {
  return typeof value === 'object' && value !== null && typeof (value as LambdaErrorPayload).errorType === 'string';
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function maxDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter(isDefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
}

function keep(list: number[], value: number): void {
  list.push(value);
  if (list.length > MAX_KEPT_DURATIONS) list.shift();
}

function summarize(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
