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

export interface PageSpec<T> {
  readonly action: string;
  /** MaxResults bounds. */
  readonly min: number;
  readonly max: number;
  /** How many ids the request named (InstanceId.N, ...). */
  readonly idCount: number;
  /** DescribeInstances and DescribeNetworkInterfaces refuse MaxResults together with an id list. */
  readonly exclusiveWithIds?: boolean;
  /** A stable, increasing position (creation order): a page starts after the last item of the previous one. */
  readonly cursorOf: (item: T) => number;
}

/** One page of `items` and the token for the next. Tokens are cursors, so deleting seen items skips nothing. */
export function paginate<T>(items: T[], params: Params, spec: PageSpec<T>): { page: T[]; nextToken?: string } {
  const maxResults = optionalInt(params, 'MaxResults', spec.min, spec.max);
  if (maxResults !== undefined && spec.exclusiveWithIds && spec.idCount > 0) {
    throw invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
  }
  if (maxResults === undefined && !params.NextToken) return { page: items };
  const after = params.NextToken ? decodeToken(params.NextToken, spec.action) : -1;
  const remaining = items
    .filter((item) => spec.cursorOf(item) > after)
    .sort((a, b) => spec.cursorOf(a) - spec.cursorOf(b));
  if (maxResults === undefined || remaining.length <= maxResults) return { page: remaining };
  const page = remaining.slice(0, maxResults);
  return { page, nextToken: encodeToken(spec.cursorOf(page[page.length - 1] as T), spec.action) };
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
