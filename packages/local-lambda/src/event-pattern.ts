/**
 * EventBridge event-pattern matching, as documented in the EventBridge user guide ("Event patterns",
 * "Content filtering"). No maintained npm package does this (checked: eb-patterns, event-ruler,
 * aws-event-pattern-matcher are not on the registry), so this is a small, tested implementation.
 *
 * Semantics:
 * - every field named by the pattern must match (AND); `$or` holds alternative sub-patterns;
 * - a leaf is a non-empty array of alternatives (OR): literals (string, number, boolean, null) or one operator object:
 *   prefix, suffix, equals-ignore-case, wildcard, anything-but, exists, numeric;
 * - when the event holds an array at a leaf, the leaf matches if any element matches;
 * - a nested pattern object needs an object in the event (or an array of objects, any of which matches);
 * - operators other than `exists: false` never match a missing field; `exists` only sees leaves (not objects).
 */

export type EventPattern = { readonly [field: string]: PatternNode };
type PatternNode = readonly unknown[] | EventPattern | readonly EventPattern[];

export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${message} (at ${path || '<root>'})`);
  }
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'exists', 'numeric']);
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Throws InvalidPatternError describing the first problem, so a bad rule fails when the bus is built. */
export function validatePattern(pattern: unknown, path = ''): asserts pattern is EventPattern {
  if (!isPlainObject(pattern)) throw new InvalidPatternError('a pattern must be a JSON object', path);
  if (Object.keys(pattern).length === 0) throw new InvalidPatternError('a pattern must name at least one field', path);
  for (const [field, node] of Object.entries(pattern)) {
    const here = path ? `${path}.${field}` : field;
    if (field === '$or') {
      if (!Array.isArray(node) || node.length < 2) {
        throw new InvalidPatternError('$or needs an array of at least two patterns', here);
      }
      for (const [index, alternative] of node.entries()) validatePattern(alternative, `${here}[${index}]`);
    } else if (Array.isArray(node)) {
      if (node.length === 0) throw new InvalidPatternError('a match list must not be empty', here);
      for (const [index, rule] of node.entries()) validateRule(rule, `${here}[${index}]`);
    } else if (isPlainObject(node)) {
      validatePattern(node, here);
    } else {
      throw new InvalidPatternError('a field must hold an array of values or a nested pattern', here);
    }
  }
}

function validateRule(rule: unknown, path: string): void {
  if (rule === null || ['string', 'number', 'boolean'].includes(typeof rule)) return;
  if (!isPlainObject(rule)) throw new InvalidPatternError('a match must be a literal or an operator object', path);
  const keys = Object.keys(rule);
  const operator = keys[0];
  if (keys.length !== 1 || operator === undefined || !OPERATORS.has(operator)) {
    throw new InvalidPatternError(`unsupported operator ${JSON.stringify(keys)}`, path);
  }
  const argument = rule[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof argument === 'string') return;
      if (isPlainObject(argument) && typeof argument['equals-ignore-case'] === 'string') return;
      throw new InvalidPatternError(`${operator} takes a string or {equals-ignore-case: string}`, path);
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof argument !== 'string') throw new InvalidPatternError(`${operator} takes a string`, path);
      return;
    case 'exists':
      if (typeof argument !== 'boolean') throw new InvalidPatternError('exists takes true or false', path);
      return;
    case 'numeric':
      validateNumeric(argument, path);
      return;
    case 'anything-but':
      validateAnythingBut(argument, path);
      return;
  }
}

function validateNumeric(argument: unknown, path: string): void {
  const ok =
    Array.isArray(argument) &&
    (argument.length === 2 || argument.length === 4) &&
    argument.every((item, index) => (index % 2 === 0 ? typeof item === 'string' && NUMERIC_OPERATORS.has(item) : typeof item === 'number'));
  if (!ok) throw new InvalidPatternError('numeric takes [op, number] or [op, number, op, number]', path);
}

function validateAnythingBut(argument: unknown, path: string): void {
  const isLiteral = (value: unknown) => typeof value === 'string' || typeof value === 'number';
  if (isLiteral(argument)) return;
  if (Array.isArray(argument) && argument.length > 0 && argument.every(isLiteral)) return;
  if (isPlainObject(argument)) {
    const [key, ...rest] = Object.keys(argument);
    if (rest.length === 0 && (key === 'prefix' || key === 'suffix' || key === 'equals-ignore-case' || key === 'wildcard')) {
      const inner = argument[key];
      if (typeof inner === 'string' || (Array.isArray(inner) && inner.every((item) => typeof item === 'string'))) return;
    }
  }
  throw new InvalidPatternError('anything-but takes a value, a list of values, or {prefix|suffix|equals-ignore-case|wildcard}', path);
}

/** True when `event` matches `pattern`. The pattern is assumed valid (see validatePattern). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return Object.entries(pattern).every(([field, node]) => {
    if (field === '$or') return (node as readonly EventPattern[]).some((alternative) => matchesPattern(alternative, event));
    const value = event[field] as Json | undefined;
    if (Array.isArray(node)) return matchesLeaf(node, value);
    return matchesNested(node as EventPattern, value);
  });
}

function matchesNested(pattern: EventPattern, value: Json | undefined): boolean {
  if (Array.isArray(value)) return value.some((element) => matchesNested(pattern, element));
  if (isPlainObject(value)) return matchesPattern(pattern, value);
  // A missing object can still satisfy a pattern made only of `exists: false` leaves.
  return matchesPattern(pattern, {});
}

function matchesLeaf(rules: readonly unknown[], value: Json | undefined): boolean {
  const values: Json[] = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const leaves = values.filter((item) => !isPlainObject(item) && !Array.isArray(item));
  return rules.some((rule) => {
    if (isPlainObject(rule) && 'exists' in rule) return rule['exists'] === true ? leaves.length > 0 : values.length === 0;
    return leaves.some((leaf) => matchesRule(rule, leaf));
  });
}

function matchesRule(rule: unknown, value: Json): boolean {
  if (!isPlainObject(rule)) return literalEquals(rule, value);
  const [operator] = Object.keys(rule);
  const argument = rule[operator as string];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affixMatches(argument, value, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return typeof value === 'string' && affixMatches(argument, value, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(argument).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardMatches(String(argument), value);
    case 'numeric':
      return typeof value === 'number' && numericMatches(argument as (string | number)[], value);
    case 'anything-but':
      return anythingButMatches(argument, value);
    default:
      return false;
  }
}

function literalEquals(expected: unknown, value: Json): boolean {
  return expected === value;
}

function affixMatches(argument: unknown, value: string, test: (text: string, affix: string) => boolean): boolean {
  if (typeof argument === 'string') return test(value, argument);
  const affix = (argument as Record<string, string>)['equals-ignore-case'] ?? '';
  return test(value.toLowerCase(), affix.toLowerCase());
}

function wildcardMatches(pattern: string, value: string): boolean {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 's').test(value);
}

function numericMatches(conditions: (string | number)[], value: number): boolean {
  for (let index = 0; index < conditions.length; index += 2) {
    const operator = conditions[index] as string;
    const bound = conditions[index + 1] as number;
    const ok =
      operator === '='
        ? value === bound
        : operator === '<'
          ? value < bound
          : operator === '<='
            ? value <= bound
            : operator === '>'
              ? value > bound
              : value >= bound;
    if (!ok) return false;
  }
  return true;
}

function anythingButMatches(argument: unknown, value: Json): boolean {
  if (Array.isArray(argument)) return argument.every((excluded) => !literalEquals(excluded, value));
  if (isPlainObject(argument)) {
    const [operator] = Object.keys(argument);
    const inner = argument[operator as string];
    const excluded = Array.isArray(inner) ? (inner as string[]) : [inner as string];
    if (typeof value !== 'string') return true;
    return excluded.every((item) => !matchesRule({ [operator as string]: item }, value));
  }
  return !literalEquals(argument, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
