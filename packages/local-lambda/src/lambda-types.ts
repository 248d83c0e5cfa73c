/** What LocalLambda takes and reports: options, invocation results, log lines and statistics. */
import type { ContainerState } from './container-process';
import type { DeadLetterQueue, LambdaErrorPayload } from './dead-letters';

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

/** The outcome of one attempt in one container. */
export type AttemptResult =
  | { ok: true; value: unknown; durationMs: number }
  | { ok: false; failure: AttemptFailureKind; error: LambdaErrorPayload; durationMs: number };
