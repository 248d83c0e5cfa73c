/**
 * The runner: a container is one forked child process running container.mjs, which loads the handler module once
 * and serves invocations one at a time over IPC. Its stdout and stderr become log lines tagged with the request
 * they belong to; it dies with the parent process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { LambdaErrorPayload } from './dead-letters';
import { failure } from './failures';
import type { AttemptResult, LambdaLogLine } from './lambda-types';

export type ContainerState = 'starting' | 'idle' | 'busy' | 'dead';

interface PendingAttempt {
  readonly requestId: string;
  readonly started: number;
  readonly settle: (result: AttemptResult) => void;
}

const REQUEST_MARK = '\u001e__LOCAL_LAMBDA_REQUEST__ ';
const CONTAINER_SCRIPT = path.join(__dirname, 'container.mjs');

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

export class Container {
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
      this.onLog({
        containerId: this.id,
        requestId: this.currentRequest[stream],
        stream,
        line,
        json: parseJsonObject(line),
        at: Date.now(),
      });
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

export interface ContainerLaunch {
  readonly id: string;
  readonly modulePath: string;
  readonly exportName: string;
  readonly cwd: string;
  readonly environment: NodeJS.ProcessEnv;
  /** Node flags of the child: tsx's loader for TypeScript sources, none for bundled JavaScript. */
  readonly execArgv: readonly string[];
  readonly initTimeoutMs: number;
  readonly onLog: (line: Omit<LambdaLogLine, 'functionKey' | 'functionName'>) => void;
}

/** Forks a container; it is ready (or failed) when `ready` settles. */
export function spawnContainer(launch: ContainerLaunch): Container {
  const child = fork(CONTAINER_SCRIPT, [launch.modulePath, launch.exportName], {
    cwd: launch.cwd,
    env: launch.environment,
    execArgv: [...launch.execArgv],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  return new Container(launch.id, child, launch.initTimeoutMs, launch.onLog);
}

/** What one invocation sends into a container: the event and the parts of Lambda's context the handler sees. */
export interface InvocationRequest {
  readonly requestId: string;
  readonly payload: unknown;
  readonly timeoutSeconds: number;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memorySizeMb: number;
}

/**
 * Runs one invocation in a container: Lambda's context, the deadline, and a timeout that discards the container
 * (as Lambda discards a timed-out environment). Resolves with the attempt's result; never rejects.
 */
export function runInContainer(container: Container, request: InvocationRequest): Promise<AttemptResult> {
  const { requestId, payload } = request;
  const timeoutMs = request.timeoutSeconds * 1000;
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
        error: failure(
          'Sandbox.Timedout',
          `${new Date().toISOString()} ${requestId} Task timed out after ${request.timeoutSeconds.toFixed(2)} seconds`,
        ),
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
        functionName: request.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: request.functionArn,
        memoryLimitInMB: String(request.memorySizeMb),
        logGroupName: `/aws/lambda/${request.functionName}`,
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

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
