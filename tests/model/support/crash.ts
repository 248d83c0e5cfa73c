/**
 * An in-process "process crash": once an invocation is dead, every further call through its ports never returns,
 * so nothing after the crash point runs (as when Lambda's process is killed). The crash itself is a simulator hook
 * that never returns either: with 'before' the EC2 call never executes, with 'after' it executed and its answer is
 * never read.
 */

/** A promise that never settles: the rest of a dead invocation waits on it for ever. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** The same port, every method of which stops for good once `isDead()` (before the call, or on its answer). */
export function freezable<T extends object>(port: T, isDead: () => boolean): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (isDead()) return never();
        let result: unknown;
        try {
          result = await (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          if (isDead()) return never();
          throw error;
        }
        if (isDead()) return never();
        return result;
      };
    },
  });
}

/** Where the next armed invocation dies: at its `nth` (1-based) call of `action`, before or after EC2 acts. */
export interface CrashPoint {
  readonly action: 'CreateTrafficMirrorSession' | 'DeleteTrafficMirrorSession';
  readonly phase: 'before' | 'after';
  readonly nth: number;
}

/** One invocation's life: alive until its crash point is reached. */
export class Invocation {
  private dead = false;
  private calls = 0;
  private resolveCrash: () => void = () => undefined;
  readonly crashed: Promise<'crashed'> = new Promise((resolve) => {
    this.resolveCrash = () => resolve('crashed');
  });

  constructor(readonly crashPoint: CrashPoint | undefined) {}

  isDead(): boolean {
    return this.dead;
  }

  /** Called by the simulator hook; true when this call is where the invocation dies. */
  reaches(action: string, phase: 'before' | 'after'): boolean {
    const point = this.crashPoint;
    if (this.dead || point === undefined || point.action !== action || point.phase !== phase) return false;
    this.calls += 1;
    if (this.calls < point.nth) return false;
    this.dead = true;
    this.resolveCrash();
    return true;
  }
}
