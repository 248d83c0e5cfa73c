/** What every Describe* shares: Filter.N matching (with tag filters and wildcards) and MaxResults/NextToken. */
import { Ec2Error, invalidCombination } from '../protocol/errors';
import { filters as parseFilters, optionalInt, type Params } from '../protocol/query';
import type { Tags } from '../model/state';

/** Per filter name: the item's values for it (a filter matches when any value matches any filter value). */
export type FilterFields<T> = Record<string, (item: T) => ReadonlyArray<string | number | boolean | undefined> | string | number | boolean | undefined>;

export function applyFilters<T>(items: T[], params: Params, fields: FilterFields<T>, tagsOf?: (item: T) => Tags): T[] {
  const specs = parseFilters(params);
  const matchers = specs.map((spec) => {
    const patterns = spec.values.map(wildcard);
    const valuesOf = fieldFor(spec.name, fields, tagsOf);
    return (item: T) => {
      const values = valuesOf(item);
      return values.some((value) => patterns.some((pattern) => pattern.test(value)));
    };
  });
  return items.filter((item) => matchers.every((matches) => matches(item)));
}

export function hasFilters(params: Params): boolean {
  return parseFilters(params).length > 0;
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
  const escaped = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

export interface PageLimits {
  readonly min: number;
  readonly max: number;
  /** Id list parameter that cannot be combined with MaxResults (DescribeInstances, DescribeNetworkInterfaces). */
  readonly exclusiveWithIds?: boolean;
}

/** One page of `items` and the token for the next; the token is opaque and bound to the action. */
export function paginate<T>(
  items: T[],
  params: Params,
  action: string,
  limits: PageLimits,
  idCount: number,
): { page: T[]; nextToken?: string } {
  const maxResults = optionalInt(params, 'MaxResults', limits.min, limits.max);
  if (maxResults !== undefined && limits.exclusiveWithIds && idCount > 0) {
    throw invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const offset = params.NextToken ? decodeToken(params.NextToken, action) : 0;
  if (maxResults === undefined) return { page: items.slice(offset) };
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length ? { page, nextToken: encodeToken(next, action) } : { page };
}

function encodeToken(offset: number, action: string): string {
  return Buffer.from(JSON.stringify({ o: offset, a: action })).toString('base64url');
}

function decodeToken(token: string, action: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; a?: unknown };
    if (typeof decoded.o === 'number' && Number.isInteger(decoded.o) && decoded.o >= 0 && decoded.a === action) return decoded.o;
  } catch {
    // fall through: any token we did not issue is invalid
  }
  throw new Ec2Error('InvalidPaginationToken', `The token '${token}' is invalid.`);
}
