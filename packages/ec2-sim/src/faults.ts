/**
 * Injected faults per action (or '*'), everywhere or in one account and Region: an error rate with a chosen error,
 * and added latency. Seeded: reproducible.
 */

import type { Random } from './model/random';
import { Ec2Error, internalError, requestLimitExceeded } from './protocol/errors';

export interface Fault {
  /** 0..1: share of requests that fail with `errorCode`. */
  readonly errorRate?: number;
  readonly errorCode?: 'RequestLimitExceeded' | 'InternalError';
  readonly latencyMs?: number;
}

export class FaultInjector {
  private readonly faults = new Map<string, Fault>();

  constructor(private readonly random: Random) {}

  /** `scope` ('<account>/<region>'): only there; without it, in every account and Region. */
  set(action: string, fault: Fault | undefined, scope = ''): void {
    const key = `${scope}|${action}`;
    if (fault === undefined) {
      this.faults.delete(key);
      return;
    }
    if (fault.errorRate !== undefined && !(fault.errorRate >= 0 && fault.errorRate <= 1)) {
      throw new RangeError('errorRate must be within 0..1');
    }
    if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
    this.faults.set(key, fault);
  }

  /** The most specific fault wins: the scope's own (action, then '*'), then everywhere's (action, then '*'). */
  private faultFor(action: string, scope: string): Fault | undefined {
    return this.faults.get(`${scope}|${action}`) ?? this.faults.get(`${scope}|*`) ?? this.faults.get(`|${action}`) ?? this.faults.get('|*');
  }

  latencyMs(action: string, scope = ''): number {
    return this.faultFor(action, scope)?.latencyMs ?? 0;
  }

  /** The error to answer with instead of executing, if the dice say so. */
  injectedError(action: string, scope = ''): Ec2Error | undefined {
    const fault = this.faultFor(action, scope);
    if (!fault?.errorRate || this.random() >= fault.errorRate) return undefined;
    return fault.errorCode === 'InternalError' ? internalError() : requestLimitExceeded();
  }
}
