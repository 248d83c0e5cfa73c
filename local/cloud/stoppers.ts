/** What the local cloud started, stopped in reverse order, each step bounded in time; failures are collected. */
const STOP_STEP_TIMEOUT_MS = 10_000;

export class Stoppers {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> }> = [];

  push(step: { name: string; stop: () => Promise<void> }): void {
    this.steps.push(step);
  }

  async stopAll(): Promise<void> {
    const failures: string[] = [];
    for (const { name, stop } of this.steps.splice(0).reverse()) {
      try {
        await withTimeout(stop(), STOP_STEP_TIMEOUT_MS, `stopping ${name}`);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`local cloud did not stop cleanly: ${failures.join('; ')}`);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
