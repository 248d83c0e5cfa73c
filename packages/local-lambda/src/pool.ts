/**
 * The pool of one function's containers: warm ones are reused, at most `reservedConcurrency` serve at once, and the
 * excess waits its turn in FIFO order (a permit passes straight to the next waiter, so the bound holds without a
 * gap). A container that dies is forgotten, so the next invocation starts a fresh one.
 */
import type { Container } from './container-process';
import { isDefined, maxDefined } from './durations';
import { delay, failure, isErrorPayload } from './failures';
import { type ContainerStats, LambdaStoppedError } from './lambda-types';

const STOP_GRACE_MS = 2_000;

export interface ContainerPoolOptions {
  readonly functionKey: string;
  readonly reservedConcurrency: number;
  /** Forks a container with this id. */
  readonly spawn: (id: string) => Container;
  /** A new container loaded the module (a cold start). */
  readonly onColdStart: (container: Container) => void;
}

export class ContainerPool {
  private readonly containers = new Map<string, Container>();
  /** Every container whose process has not exited yet, including killed ones already forgotten. */
  private readonly living = new Set<Container>();
  private readonly idle: Container[] = [];
  private readonly waiting: Array<{ grant: () => void; abort: (error: Error) => void }> = [];
  private permitsInUse = 0;
  private peakRssOfGoneContainers: number | undefined;
  private containerSequence = 0;
  private stopped = false;

  constructor(private readonly options: ContainerPoolOptions) {}

  /** Takes a concurrency permit (waiting in FIFO order), then a warm container or a new one. */
  async acquire(): Promise<{ container: Container; coldStart: boolean }> {
    await this.takePermit();
    let warm = this.idle.shift();
    while (warm && warm.state !== 'idle') warm = this.idle.shift();
    if (warm) return { container: warm, coldStart: false };
    return { container: await this.startContainerHoldingPermit(), coldStart: true };
  }

  /** Gives a container back after an invocation (idle again, or forgotten when it died) and its permit with it. */
  release(container: Container): void {
    if (container.state === 'dead' || this.stopped) {
      this.forget(container);
    } else {
      container.state = 'idle';
      this.idle.push(container);
    }
    this.handOverPermit();
  }

  /**
   * Starts containers ahead of traffic (up to the concurrency bound). Rejects with an Error naming the init failure
   * when a container cannot load the module.
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
          throw new Error(`${this.options.functionKey}: container failed to start: ${payload.errorType}: ${payload.errorMessage}`);
        }
      }),
    );
  }

  /** Crash injection: kills one container by id, or all of them. Returns how many were signalled. */
  kill(containerId: string | 'all', signal: NodeJS.Signals): number {
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

  containerIds(): string[] {
    return [...this.containers.keys()];
  }

  get inFlight(): number {
    return this.permitsInUse;
  }

  get queued(): number {
    return this.waiting.length;
  }

  peakRssBytes(): number | undefined {
    return maxDefined([this.peakRssOfGoneContainers, ...[...this.containers.values()].map((container) => container.peakRssBytes)]);
  }

  containerStats(): ContainerStats[] {
    return [...this.containers.values()].map((container) => ({
      id: container.id,
      pid: container.child.pid,
      state: container.state,
      invocations: container.invocations,
      coldStartMs: container.coldStartMs,
      initMs: container.initMs,
      lastRssBytes: container.lastRssBytes,
      peakRssBytes: container.peakRssBytes,
    }));
  }

  /** Aborts the waiters, then SIGTERM to every child and SIGKILL after a short grace; resolves when all exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0)) waiter.abort(new LambdaStoppedError(`${this.options.functionKey} stopped`));
    const all = [...this.living];
    for (const container of all) container.kill('SIGTERM');
    const graceful = await Promise.race([
      Promise.all(all.map((container) => container.exited)).then(() => true),
      delay(STOP_GRACE_MS).then(() => false),
    ]);
    if (!graceful) {
      for (const container of all) container.kill('SIGKILL');
      await Promise.race([Promise.all(all.map((container) => container.exited)), delay(STOP_GRACE_MS)]);
    }
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
    this.options.onColdStart(container);
    return container;
  }

  private async takePermit(): Promise<void> {
    if (this.stopped) throw new LambdaStoppedError(`${this.options.functionKey} stopped`);
    if (this.permitsInUse < this.options.reservedConcurrency) {
      this.permitsInUse += 1;
      return;
    }
    await new Promise<void>((grant, abort) => this.waiting.push({ grant, abort }));
  }

  /** A permit passes straight to the next waiter, so the bound holds without a gap. */
  private handOverPermit(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.permitsInUse -= 1;
  }

  private spawn(): Container {
    this.containerSequence += 1;
    const container = this.options.spawn(`${this.options.functionKey}-${this.containerSequence}`);
    this.containers.set(container.id, container);
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

  private forget(container: Container): void {
    this.peakRssOfGoneContainers = maxDefined([this.peakRssOfGoneContainers, container.peakRssBytes]);
    this.containers.delete(container.id);
  }
}
