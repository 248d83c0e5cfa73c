/**
 * What every Describe* shares: Filter.N matching (with tag filters and wildcards) and MaxResults/NextToken.
 * As on AWS, a page is cut from everything the caller may see and the filters are applied to that page, so a
 * filtered page can be short or empty and still carry a NextToken (EC2 API reference, "Pagination"): a client
 * must follow NextToken until it is absent, never stop at a short page.
 */

import type { Tags } from '../model/state';
import { Ec2Error, invalidCombination } from '../protocol/errors';
import { optionalInt, type Params, filters as parseFilters } from '../protocol/query';

/** Per filter name: the item's values for it (a filter matches when any value matches any filter value). */
export type FilterFields<T> = Record<
  string,
  (item: T) => ReadonlyArray<string | number | boolean | undefined> | string | number | boolean | undefined
>;

/** The Filter.N of the request as one predicate (unknown filter names are refused here, before any paging). */
export function filterMatcher<T>(params: Params, fields: FilterFields<T>, tagsOf?: (item: T) => Tags): (item: T) => boolean {
  const specs = parseFilters(params);
  const matchers = specs.map((spec) => {
    // Plain values (most filters: ids, states) are looked up in a set: a filter naming 1,000 ENIs stays one
    // lookup per item at 50,000 items. Only values with * or ? become patterns.
    const exact = new Set(spec.values.filter((value) => !/[*?]/.test(value)));
    const patterns = spec.values.filter((value) => /[*?]/.test(value)).map(wildcard);
    const valuesOf = fieldFor(spec.name, fields, tagsOf);
    return (item: T) => {
      const values = valuesOf(item);
      return values.some((value) => exact.has(value) || patterns.some((pattern) => pattern.test(value)));
    };
  });
  return (item) => matchers.every((matches) => matches(item));
}

function fieldFor<T>(name: string, fields: FilterFields<T>, tagsOf?: (item: T) => Tags): (item: T) => string[] {
  if (tagsOf && name.startsWith('tag:')) {
    const key = name.slice(4);
    return (item) => {
      const value = tagsOf(item).get(key);
      return value === undefined ? [] : [value];
    };
  }
  if (tagsOf && name === 'tag-key') return (item) => [...tagsOf(item).keys()];
  if (tagsOf && name === 'tag-value') return (item) => [...tagsOf(item).values()];
  const field = fields[name];
  if (!field) throw new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
  return (item) => {
    const raw = field(item);
    const values = Array.isArray(raw) ? raw : [raw];
    return values.filter((v) => v !== undefined).map(String);
  };
}

function wildcard(value: string): RegExp {
  const escaped = value
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

export interface PageSpec<T> {
  readonly action: string;
  /** MaxResults bounds. */
  readonly min: number;
  readonly max: number;
  /** The page size without MaxResults; absent: everything in one answer. DescribeInstanceTypes: 100. */
  readonly defaultPageSize?: number;
  /** How many ids the request named (InstanceId.N, ...). */
  readonly idCount: number;
  /** DescribeInstances and DescribeNetworkInterfaces refuse MaxResults together with an id list. */
  readonly exclusiveWithIds?: boolean;
  /** A stable, increasing position (creation order): a page starts after the last item of the previous one. */
  readonly cursorOf: (item: T) => number;
  /** The candidates come in cursor order already (no sort, a page found by binary search). */
  readonly inCursorOrder?: boolean;
  /** The request's filters: applied to each page after it is cut. */
  readonly matches: (item: T) => boolean;
}

/**
 * One page of `candidates` (filtered) and the token for the next. A page holds at most `MaxResults` candidates
 * before filtering, and a NextToken comes whenever candidates remain after it, however few of the page matched.
 * Tokens are cursors, so deleting seen items skips nothing.
 */
export function paginate<T>(candidates: readonly T[], params: Params, spec: PageSpec<T>): { page: T[]; nextToken?: string } {
  const maxResults = optionalInt(params, 'MaxResults', spec.min, spec.max);
  if (maxResults !== undefined && spec.exclusiveWithIds && spec.idCount > 0) {
    throw invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const pageSize = maxResults ?? spec.defaultPageSize;
  if (pageSize === undefined && !params.NextToken) return { page: candidates.filter(spec.matches) };
  const after = params.NextToken ? decodeToken(params.NextToken, spec.action) : -1;
  if (spec.inCursorOrder) {
    // O(log n + page) rather than O(n) a page: at 50,000 instances a filtered listing is 50 pages.
    const start = firstAfter(candidates, after, spec.cursorOf);
    const end = pageSize === undefined ? candidates.length : Math.min(candidates.length, start + pageSize);
    const cut = candidates.slice(start, end);
    const last = cut[cut.length - 1];
    return {
      page: cut.filter(spec.matches),
      ...(end < candidates.length && last !== undefined ? { nextToken: encodeToken(spec.cursorOf(last), spec.action) } : {}),
    };
  }
  const remaining = after === -1 ? [...candidates] : candidates.filter((item) => spec.cursorOf(item) > after);
  // Candidates usually come in creation order already (maps keep insertion order): sort only when they do not.
  if (!isSortedBy(remaining, spec.cursorOf)) remaining.sort((a, b) => spec.cursorOf(a) - spec.cursorOf(b));
  if (pageSize === undefined || remaining.length <= pageSize) return { page: remaining.filter(spec.matches) };
  const cut = remaining.slice(0, pageSize);
  return { page: cut.filter(spec.matches), nextToken: encodeToken(spec.cursorOf(cut[cut.length - 1] as T), spec.action) };
}

/** Index of the first item whose cursor is above `after`, in items sorted by cursor. */
function firstAfter<T>(items: readonly T[], after: number, cursorOf: (item: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (cursorOf(items[middle] as T) > after) high = middle;
    else low = middle + 1;
  }
  return low;
}

function isSortedBy<T>(items: readonly T[], key: (item: T) => number): boolean {
  for (let index = 1; index < items.length; index++) {
    if (key(items[index - 1] as T) > key(items[index] as T)) return false;
  }
  return true;
}

function encodeToken(cursor: number, action: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, a: action })).toString('base64url');
}

function decodeToken(token: string, action: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; a?: unknown };
    if (typeof decoded.c === 'number' && Number.isInteger(decoded.c) && decoded.c >= 0 && decoded.a === action) return decoded.c;
  } catch {
    // fall through: any token we did not issue is invalid
  }
  throw new Ec2Error('InvalidPaginationToken', `The token '${token}' is invalid.`);
}
