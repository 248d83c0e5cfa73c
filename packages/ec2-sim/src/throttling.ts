/**
 * EC2's request throttling: a token bucket per action category (docs/AWS-FACTS.md), for each account and Region
 * apart, as AWS meters (one account draining its budget leaves the others theirs). Off by default. `timeScale`
 * multiplies the refill rate, so a benchmark can compress minutes of AWS behaviour into seconds.
 */
import type { Params } from './protocol/query';
import { filters, list } from './protocol/query';

export type ThrottleCategory = 'mutating' | 'describe' | 'unfilteredDescribe' | 'tags';

const BUCKETS: Readonly<Record<ThrottleCategory, { capacity: number; refillPerSecond: number }>> = {
  mutating: { capacity: 50, refillPerSecond: 5 },
  describe: { capacity: 100, refillPerSecond: 20 },
  unfilteredDescribe: { capacity: 50, refillPerSecond: 10 },
  tags: { capacity: 100, refillPerSecond: 10 },
};

const UNFILTERED_SENSITIVE = new Set(['DescribeInstances', 'DescribeNetworkInterfaces']);

export function categoryOf(action: string, params: Params): ThrottleCategory {
  if (action === 'CreateTags' || action === 'DeleteTags') return 'tags';
  if (!action.startsWith('Describe')) return 'mutating';
  if (UNFILTERED_SENSITIVE.has(action)) {
    const idList = action === 'DescribeInstances' ? 'InstanceId' : 'NetworkInterfaceId';
    const narrowed = filters(params).length > 0 || list(params, idList).length > 0 || params.MaxResults !== undefined;
    if (!narrowed) return 'unfilteredDescribe';
  }
  return 'describe';
}

export interface ThrottlingSettings {
  readonly enabled: boolean;
  readonly timeScale?: number;
  /** 'action' (default): one bucket per action, as AWS meters; 'category': one bucket shared by a category. */
  readonly scope?: 'action' | 'category';
}

/**
 * Token buckets sized by the action's category, one per action (AWS meters per action) or per category, in each
 * account and Region (`scope`, e.g. '111122223333/eu-west-1').
 */
export class Throttler {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private settings: Required<ThrottlingSettings> = { enabled: false, timeScale: 1, scope: 'action' };

  constructor(private readonly now: () => number = () => performance.now()) {}

  configure(settings: ThrottlingSettings): void {
    if (settings.timeScale !== undefined && !(settings.timeScale > 0)) throw new RangeError('timeScale must be > 0');
    this.settings = { enabled: settings.enabled, timeScale: settings.timeScale ?? 1, scope: settings.scope ?? 'action' };
    this.buckets.clear();
  }

  /** Takes a token from the scope's bucket; false when it is empty (the request is throttled). */
  admit(action: string, params: Params, scope = ''): boolean {
    if (!this.settings.enabled) return true;
    const category = categoryOf(action, params);
    const { capacity, refillPerSecond } = BUCKETS[category];
    const key = `${scope}|${this.settings.scope === 'action' ? `${category}:${action}` : category}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const refill = ((now - bucket.at) / 1000) * refillPerSecond * this.settings.timeScale;
    bucket.tokens = Math.min(capacity, bucket.tokens + refill);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
