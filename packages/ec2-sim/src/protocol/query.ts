/**
 * EC2 Query protocol input: a form-encoded body of flat keys. Lists arrive as `Name.N` (1-based) and structures
 * in lists as `Name.N.Member`; these helpers turn them back into arrays in index order.
 */
import { invalidValue, missingParameter } from './errors';

export type Params = Readonly<Record<string, string>>;

export function parseQuery(body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) params[key] = value;
  return params;
}

/** Values of `prefix.1`, `prefix.2`, ... in numeric order (gaps allowed, as EC2 does). */
export function list(params: Params, prefix: string): string[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`);
  const found: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    const match = pattern.exec(key);
    if (match) found.push([Number(match[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** Structures `prefix.N.Member...`: each becomes its own Params with the `prefix.N.` part removed. */
export function structList(params: Params, prefix: string): Array<Record<string, string>> {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)\\.(.+)$`);
  const groups = new Map<number, Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    const group = groups.get(index) ?? {};
    group[match[2] as string] = value;
    groups.set(index, group);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

export function required(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

export function optionalInt(params: Params, name: string, min: number, max: number): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw invalidValue(name, raw);
  const value = Number(raw);
  if (value < min || value > max) throw invalidValue(name, raw, `Valid values are ${min} to ${max}`);
  return value;
}

export function optionalBool(params: Params, name: string): boolean | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalidValue(name, raw);
  return raw === 'true';
}

export interface FilterSpec {
  readonly name: string;
  readonly values: string[];
}

export function filters(params: Params, prefix = 'Filter'): FilterSpec[] {
  return structList(params, prefix).map((group) => {
    const name = group.Name;
    if (!name) throw missingParameter(`${prefix}.N.Name`);
    return { name, values: list(group, 'Value') };
  });
}

export interface TagSpec {
  readonly key: string;
  readonly value?: string;
}

export function tags(params: Params, prefix = 'Tag'): TagSpec[] {
  return structList(params, prefix).map((group) => {
    const key = group.Key;
    if (key === undefined) throw missingParameter(`${prefix}.N.Key`);
    return group.Value === undefined ? { key } : { key, value: group.Value };
  });
}

export interface TagSpecification {
  readonly resourceType: string;
  readonly tags: TagSpec[];
}

export function tagSpecifications(params: Params): TagSpecification[] {
  return structList(params, 'TagSpecification').map((group) => {
    const resourceType = group.ResourceType;
    if (!resourceType) throw missingParameter('TagSpecification.N.ResourceType');
    return { resourceType, tags: tags(group) };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
