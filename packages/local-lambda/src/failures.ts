/** Lambda's error payloads ({ errorType, errorMessage }) as the runtime makes and recognises them. */
import type { LambdaErrorPayload } from './dead-letters';

export function failure(errorType: string, errorMessage: string): LambdaErrorPayload {
  return { errorType, errorMessage };
}

export function stoppedPayload(): LambdaErrorPayload {
  return failure('LocalLambda.Stopped', 'the local runtime stopped before the invocation finished');
}

export function isErrorPayload(value: unknown): value is LambdaErrorPayload {
  return typeof value === 'object' && value !== null && typeof (value as LambdaErrorPayload).errorType === 'string';
}

/**
 * Observers (renderers, collectors) must not be able to break invocations or crash the parent from a stream
 * callback: their errors are reported on stderr and the runtime carries on.
 */
export function observe(what: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    process.stderr.write(`LocalLambda: ${what} threw: ${(error as Error)?.stack ?? String(error)}\n`);
  }
}

/** A timer that does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
