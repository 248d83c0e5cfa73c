/**
 * Runs one product invocation at a time as a fresh container (its own SDK clients, on the wiring it is given), and
 * kills it at the crash point armed for it: the simulator hook never answers, and every later port call of the
 * invocation never returns (tests/model/support/crash.ts). Its logger's error lines are kept to explain a failure.
 */
import type { ConvergeDeps } from '../../../shared/converge';
import type { SweepLedgerPort } from '../../../shared/converge/sweep-ports';
import type { Wiring } from '../../support/deps';
import type { TestCloud } from '../../support/test-cloud';
import { type CrashPoint, freezable, Invocation, never } from './crash';

export type InvocationResult<T> = (
  | { readonly outcome: 'done'; readonly value: T }
  | { readonly outcome: 'crashed' }
  | { readonly outcome: 'threw'; readonly error: unknown }
) & { readonly loggedErrors: readonly string[] };

export type InvocationBody<T> = (deps: ConvergeDeps, sweepLedger: SweepLedgerPort) => Promise<T>;

/** The logger's error lines of one invocation ('decision' lines with action fail carry the error). */
function recordingErrors(logger: ConvergeDeps['logger'], lines: string[]): ConvergeDeps['logger'] {
  return new Proxy(logger, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      // Powertools' Logger keeps #private fields: its methods must run on the Logger itself, not on the proxy.
      if (key !== 'error') return (value as (...a: unknown[]) => unknown).bind(target);
      return (message: string, ...extra: unknown[]) => {
        const fields = extra.find((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) ?? {};
        const error = fields.error instanceof Error ? `${fields.error.name}: ${fields.error.message}` : '';
        lines.push([message, fields.action, fields.reason, error].filter(Boolean).join(' '));
        return (value as (...a: unknown[]) => unknown).apply(target, [message, ...extra]);
      };
    },
  });
}

export class Invoker {
  private armed: CrashPoint | undefined;
  private current: Invocation | undefined;
  private readonly removeHooks: Array<() => void> = [];
  /** The ClientTokens (reservation ids) of creates EC2 made for an invocation killed before reading the answer. */
  readonly createsKilledAfter = new Set<string>();
  /**
   * The ClientTokens of creates EC2 answered to an invocation killed later in its run: announced at once, but
   * recorded (history, slot) only at the run's end, which never came.
   */
  readonly createsOfKilledRuns = new Set<string>();
  /** The current invocation's answered creates, by ClientToken. */
  private answeredCreates: string[] = [];

  constructor(sim: TestCloud['sim']) {
    for (const action of ['CreateTrafficMirrorSession', 'DeleteTrafficMirrorSession'] as const) {
      for (const phase of ['before', 'after'] as const) {
        this.removeHooks.push(
          sim.hook(action, phase, (params) => {
            if (!this.current?.reaches(action, phase)) {
              if (action === 'CreateTrafficMirrorSession' && phase === 'after' && params.ClientToken !== undefined) {
                this.answeredCreates.push(params.ClientToken);
              }
              return undefined;
            }
            if (action === 'CreateTrafficMirrorSession' && phase === 'after' && params.ClientToken !== undefined) {
              this.createsKilledAfter.add(params.ClientToken);
            }
            return never<void>();
          }),
        );
      }
    }
  }

  /** The next invocation dies at `point` (undefined: it does not). */
  arm(point: CrashPoint | undefined): void {
    this.armed = point;
  }

  async invoke<T>(wiring: Wiring, body: InvocationBody<T>): Promise<InvocationResult<T>> {
    const invocation = new Invocation(this.armed);
    this.armed = undefined;
    const isDead = () => invocation.isDead();
    const loggedErrors: string[] = [];
    const deps: ConvergeDeps = {
      ...wiring.deps,
      logger: recordingErrors(wiring.deps.logger, loggedErrors),
      ec2: freezable(wiring.deps.ec2, isDead),
      ledger: freezable(wiring.deps.ledger, isDead),
      publisher: freezable(wiring.deps.publisher, isDead),
    };
    this.current = invocation;
    this.answeredCreates = [];
    try {
      const outcome = await Promise.race([body(deps, freezable(wiring.sweepLedger, isDead)), invocation.crashed]);
      if (outcome === 'crashed') {
        for (const token of this.answeredCreates) this.createsOfKilledRuns.add(token);
        return { outcome: 'crashed', loggedErrors };
      }
      return { outcome: 'done', value: outcome as T, loggedErrors };
    } catch (error) {
      return { outcome: 'threw', error, loggedErrors };
    } finally {
      this.current = undefined;
      // A dead invocation's clients stay open: its last request never gets an answer, as with a killed process.
      if (!invocation.isDead()) wiring.destroy();
    }
  }

  dispose(): void {
    for (const remove of this.removeHooks) remove();
  }
}
