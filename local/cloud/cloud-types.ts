/** What startLocalCloud takes and gives. */
import type { Simulator, SimulatorOptions } from '@vpc-mirror-orchestrator/ec2-sim';
import type {
  AsyncInvokeOutcome,
  BatchReport,
  BusChaos,
  DeadLetterQueue,
  InvocationReport,
  LambdaLogLine,
  LocalEventBus,
  LocalLambda,
  LocalQueue,
  QueueEventSource,
} from '@vpc-mirror-orchestrator/local-lambda';
import type { CodeSource } from './artifacts';
import type { Stack } from './stack';

export interface DeployOptions {
  /**
   * Start this many containers per function before returning (bounded by each function's concurrency), so a
   * configuration the handlers refuse at module load fails here, naming the function and the variable, instead
   * of on the first event. Default 0: containers start on demand, as in Lambda.
   */
  readonly prewarm?: number;
}

export interface LocalCloudOptions {
  /** Repo root: handlers resolve from here. Default: two levels above this file. */
  readonly rootDir?: string;
  /** Default <rootDir>/serverless.yml. */
  readonly serverlessYml?: string;
  readonly stage?: string;
  /** Overrides for ${param:NAME} in serverless.yml. */
  readonly params?: Readonly<Record<string, string>>;
  /** Default: the stack's provider.region. */
  readonly region?: string;
  /** Default 111122223333. */
  readonly accountId?: string;
  /** Default <service>-<stage>-ledger. */
  readonly tableName?: string;
  /** Passed to startSimulator (region, accountId and the bus wiring are filled in); false: no simulator. */
  readonly simulator?: Omit<SimulatorOptions, 'eventBridgeEndpoint'> | false;
  /**
   * How the simulator's EC2 events reach the bus. 'put-events' (default): by PutEvents, stamped with the bus's own
   * account and Region, as one account sees them. 'service-events': each event as EC2 emitted it, with its own
   * account and Region, as a member's spoke rule forwards it to the hub's bus (the organization stories).
   */
  readonly ec2Events?: 'put-events' | 'service-events';
  /** Chaos hooks on the bus (drop, duplicate, delay), seeded. */
  readonly chaos?: BusChaos;
  /** The repo's TypeScript (default) or `sls package` output. */
  readonly code?: CodeSource;
  /** Only these functions (keys in serverless.yml); default all. */
  readonly functions?: readonly string[];
  /** Per-function reserved concurrency; default the stack's reservedConcurrency, else 4. */
  readonly reservedConcurrency?: number | Readonly<Record<string, number>>;
  /** Scales Lambda's async retry delays (1 min, 2 min), queue visibility timeouts and batching windows. Default 0.001. */
  readonly timeScale?: number;
  /** Bound on a container's module load. Default 30 s. */
  readonly initTimeoutMs?: number;
  readonly logSink?: (line: LambdaLogLine) => void;
  readonly onInvocation?: (report: InvocationReport) => void;
  /** One report per batch an event source mapping delivered: records, the ones that stay on the queue, errors. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Deploy at once with this configuration (else call deployFunctions later). */
  readonly deploy?: Readonly<Record<string, string>>;
}

export interface LocalCloud {
  readonly stack: Stack;
  readonly region: string;
  readonly accountId: string;
  readonly simulator: Simulator | undefined;
  readonly bus: LocalEventBus;
  /** Filled by deployFunctions(), keyed by function key (instanceEvents, cloudtrailTags, sweep). */
  readonly lambdas: Readonly<Record<string, LocalLambda>>;
  /** The event queues (rule -> queue -> function), by logical id (InstanceEventsQueue). */
  readonly queues: Readonly<Record<string, LocalQueue>>;
  /** The SQS event source mappings, by queue logical id (a function may consume several queues); filled by deployFunctions(). */
  readonly eventSources: Readonly<Record<string, QueueEventSource>>;
  readonly deadLetters: DeadLetterQueue;
  readonly dynamodbEndpoint: string;
  readonly ec2Endpoint: string | undefined;
  readonly eventBridgeEndpoint: string;
  readonly tableName: string;
  readonly eventBusName: string;
  /** LedgerTable properties dynalite cannot honour and that were left out (TTL, PITR, SSE...). */
  readonly droppedTableProperties: readonly string[];
  /** What a process (CLI, test, bench) needs to talk to this cloud with the real SDK. */
  readonly env: Readonly<Record<string, string>>;
  /** Starts (or restarts, with new configuration) the functions and attaches the stack's rules to them. */
  deployFunctions(configuration?: Readonly<Record<string, string>>, deploy?: DeployOptions): Promise<Readonly<Record<string, LocalLambda>>>;
  /** Sends the schedule's event (Scheduled Event, or its configured input) to its function, as EventBridge would. */
  runSchedule(functionKey: string): Promise<AsyncInvokeOutcome>;
  /**
   * Waits until the simulator, the bus, every queue (empty: nothing visible, nothing waiting for a retry), every
   * event source mapping and every function are quiet (twice in a row); false on timeout.
   */
  settle(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}
