import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type EventPattern, InvalidPatternError, matchesPattern, validatePattern } from '@vpc-mirror-orchestrator/local-lambda';
import { readStack } from '../../local/cloud/stack';
import { EVENT_FIXTURES } from '../support/fixtures-path';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(EVENT_FIXTURES, name), 'utf8'));

const match = (pattern: EventPattern, event: unknown): boolean => {
  validatePattern(pattern);
  return matchesPattern(pattern, event);
};

describe('event pattern: literal values', () => {
  it('matches when the field equals one of the listed values', () => {
    expect(match({ source: ['aws.ec2', 'aws.tag'] }, { source: 'aws.tag' })).toBe(true);
  });
  it('does not match another value or a missing field', () => {
    expect(match({ source: ['aws.ec2'] }, { source: 'aws.tag' })).toBe(false);
    expect(match({ source: ['aws.ec2'] }, {})).toBe(false);
  });
  it('is case sensitive and type strict', () => {
    expect(match({ source: ['AWS.EC2'] }, { source: 'aws.ec2' })).toBe(false);
    expect(match({ n: ['5'] }, { n: 5 })).toBe(false);
    expect(match({ n: [5] }, { n: 5 })).toBe(true);
    expect(match({ flag: [true] }, { flag: true })).toBe(true);
    expect(match({ v: [null] }, { v: null })).toBe(true);
  });
  it('requires every named field (AND)', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['X'] };
    expect(match(pattern, { source: 'aws.ec2', 'detail-type': 'X' })).toBe(true);
    expect(match(pattern, { source: 'aws.ec2', 'detail-type': 'Y' })).toBe(false);
  });
  it('matches an array in the event when any element matches', () => {
    expect(match({ keys: ['traffic-mirror'] }, { keys: ['Name', 'traffic-mirror'] })).toBe(true);
    expect(match({ keys: ['traffic-mirror'] }, { keys: ['Name'] })).toBe(false);
    expect(match({ keys: ['traffic-mirror'] }, { keys: [] })).toBe(false);
  });
  it('does not match a leaf rule against an object', () => {
    expect(match({ detail: ['x'] }, { detail: { a: 'x' } })).toBe(false);
  });
});

describe('event pattern: nested objects', () => {
  it('walks into nested objects', () => {
    expect(match({ detail: { state: ['running'] } }, { detail: { state: 'running' } })).toBe(true);
    expect(match({ detail: { state: ['running'] } }, { detail: { state: 'stopped' } })).toBe(false);
  });
  it('does not match when the nested object is missing or a scalar', () => {
    expect(match({ detail: { state: ['running'] } }, {})).toBe(false);
    expect(match({ detail: { state: ['running'] } }, { detail: 'running' })).toBe(false);
  });
  it('matches arrays of objects when any element matches', () => {
    const pattern = { detail: { items: { resourceId: [{ prefix: 'i-' }] } } };
    expect(match(pattern, { detail: { items: [{ resourceId: 'eni-1' }, { resourceId: 'i-1' }] } })).toBe(true);
    expect(match(pattern, { detail: { items: [{ resourceId: 'eni-1' }] } })).toBe(false);
  });
  it('refuses events that are not objects', () => {
    expect(matchesPattern({ a: ['x'] }, 'x')).toBe(false);
    expect(matchesPattern({ a: ['x'] }, null)).toBe(false);
  });
});

describe('event pattern: operators', () => {
  it('prefix and suffix, also ignoring case', () => {
    expect(match({ id: [{ prefix: 'i-' }] }, { id: 'i-0abc' })).toBe(true);
    expect(match({ id: [{ prefix: 'i-' }] }, { id: 'eni-0abc' })).toBe(false);
    expect(match({ f: [{ suffix: '.png' }] }, { f: 'a.png' })).toBe(true);
    expect(match({ f: [{ suffix: '.png' }] }, { f: 'a.jpg' })).toBe(false);
    expect(match({ f: [{ prefix: { 'equals-ignore-case': 'ABC' } }] }, { f: 'abcdef' })).toBe(true);
    expect(match({ f: [{ suffix: { 'equals-ignore-case': '.PNG' } }] }, { f: 'a.png' })).toBe(true);
    expect(match({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false);
  });
  it('equals-ignore-case', () => {
    expect(match({ s: [{ 'equals-ignore-case': 'RUNNING' }] }, { s: 'Running' })).toBe(true);
    expect(match({ s: [{ 'equals-ignore-case': 'RUNNING' }] }, { s: 'stopped' })).toBe(false);
  });
  it('wildcard', () => {
    expect(match({ arn: [{ wildcard: 'arn:aws:ec2:*:instance/*' }] }, { arn: 'arn:aws:ec2:eu-west-1:1:instance/i-1' })).toBe(true);
    expect(match({ arn: [{ wildcard: 'arn:aws:ec2:*:volume/*' }] }, { arn: 'arn:aws:ec2:eu-west-1:1:instance/i-1' })).toBe(false);
    expect(match({ arn: [{ wildcard: 'a.c' }] }, { arn: 'abc' })).toBe(false);
  });
  it('anything-but with a value, a list, a prefix and a suffix', () => {
    expect(match({ s: [{ 'anything-but': 'stopped' }] }, { s: 'running' })).toBe(true);
    expect(match({ s: [{ 'anything-but': 'stopped' }] }, { s: 'stopped' })).toBe(false);
    expect(match({ s: [{ 'anything-but': ['stopped', 'pending'] }] }, { s: 'pending' })).toBe(false);
    expect(match({ s: [{ 'anything-but': ['stopped', 'pending'] }] }, { s: 'running' })).toBe(true);
    expect(match({ n: [{ 'anything-but': [1, 2] }] }, { n: 3 })).toBe(true);
    expect(match({ n: [{ 'anything-but': [1, 2] }] }, { n: 2 })).toBe(false);
    expect(match({ s: [{ 'anything-but': { prefix: 'aws.' } }] }, { s: 'aws.ec2' })).toBe(false);
    expect(match({ s: [{ 'anything-but': { prefix: 'aws.' } }] }, { s: 'custom' })).toBe(true);
    expect(match({ s: [{ 'anything-but': { suffix: '-test' } }] }, { s: 'x-test' })).toBe(false);
    expect(match({ s: [{ 'anything-but': { 'equals-ignore-case': ['A', 'B'] } }] }, { s: 'b' })).toBe(false);
  });
  it('anything-but never matches a missing field', () => {
    expect(match({ s: [{ 'anything-but': 'stopped' }] }, {})).toBe(false);
  });
  it('exists true and false, on leaves only', () => {
    expect(match({ d: { id: [{ exists: true }] } }, { d: { id: 'x' } })).toBe(true);
    expect(match({ d: { id: [{ exists: true }] } }, { d: {} })).toBe(false);
    expect(match({ d: { id: [{ exists: false }] } }, { d: {} })).toBe(true);
    expect(match({ d: { id: [{ exists: false }] } }, {})).toBe(true);
    expect(match({ d: { id: [{ exists: false }] } }, { d: { id: 'x' } })).toBe(false);
    expect(match({ d: [{ exists: true }] }, { d: { nested: 1 } })).toBe(false);
  });
  it('numeric ranges', () => {
    const pattern = { n: [{ numeric: ['>', 0, '<=', 5] }] };
    expect(match(pattern, { n: 5 })).toBe(true);
    expect(match(pattern, { n: 0 })).toBe(false);
    expect(match(pattern, { n: 6 })).toBe(false);
    expect(match(pattern, { n: '3' })).toBe(false);
    expect(match({ n: [{ numeric: ['=', 3.5] }] }, { n: 3.5 })).toBe(true);
    expect(match({ n: [{ numeric: ['>=', 10] }] }, { n: [1, 12] })).toBe(true);
    expect(match({ n: [{ numeric: ['<', 10] }] }, { n: 10 })).toBe(false);
  });
  it('mixes literals and operators in one list (OR)', () => {
    const pattern = { s: ['running', { prefix: 'stop' }] };
    expect(match(pattern, { s: 'stopping' })).toBe(true);
    expect(match(pattern, { s: 'running' })).toBe(true);
    expect(match(pattern, { s: 'pending' })).toBe(false);
  });
  it('$or holds alternative sub-patterns', () => {
    const pattern = { source: ['aws.ec2'], $or: [{ a: ['1'] }, { b: ['2'] }] };
    expect(match(pattern, { source: 'aws.ec2', b: '2' })).toBe(true);
    expect(match(pattern, { source: 'aws.ec2', a: '2' })).toBe(false);
  });
});

describe('event pattern: validation', () => {
  it.each([
    ['not an object', 'x'],
    ['an empty pattern', {}],
    ['an empty match list', { a: [] }],
    ['a scalar field', { a: 'x' }],
    ['an unknown operator', { a: [{ regex: '.*' }] }],
    ['two operators in one object', { a: [{ prefix: 'a', suffix: 'b' }] }],
    ['a bad numeric operator', { a: [{ numeric: ['!=', 1] }] }],
    ['a numeric bound that is not a number', { a: [{ numeric: ['>', '1'] }] }],
    ['exists with a string', { a: [{ exists: 'yes' }] }],
    ['prefix with a number', { a: [{ prefix: 1 }] }],
    ['anything-but with an object value', { a: [{ 'anything-but': { numeric: ['>', 1] } }] }],
    ['a single $or branch', { $or: [{ a: ['1'] }] }],
  ])('rejects %s', (_label, pattern) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidPatternError);
  });
  it('names where the problem is', () => {
    expect(() => validatePattern({ detail: { state: [{ regex: 'x' }] } })).toThrow(/detail\.state\[0\]/);
  });
});

describe("event pattern: the stack's rules against the shared event fixtures", () => {
  const real = path.resolve(__dirname, '../../serverless.yml');
  const candidates = [path.resolve(__dirname, 'fixtures/serverless.yml'), ...(existsSync(real) ? [real] : [])];
  const expectedRoute: Record<string, string[]> = {
    'state-change-running.json': ['stateChange'],
    'state-change-stopped.json': ['stateChange'],
    'state-change-terminated.json': ['stateChange'],
    'tag-change-added.json': ['tagChange'],
    'tag-change-removed.json': ['tagChange'],
    'cloudtrail-create-tags.json': ['cloudtrailTags'],
    'cloudtrail-attach-network-interface.json': ['cloudtrailTags'],
  };

  /** The real stack sends an instance's state and tag changes to one function, so they share a batch. */
  const inRealStack = (functionKey: string): string =>
    functionKey === 'stateChange' || functionKey === 'tagChange' ? 'instanceEvents' : functionKey;

  it('has a route expectation for every shared fixture', () => {
    expect(
      readdirSync(EVENT_FIXTURES)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(expectedRoute).sort());
  });

  describe.each(candidates)('%s', (file) => {
    const stack = readStack(file, { params: { cloudTrailEnabled: 'true' } });
    it.each(Object.entries(expectedRoute))('routes %s to %j only', (name, functions) => {
      const event = fixture(name);
      const matched = stack.rules.filter((rule) => matchesPattern(rule.pattern, event)).map((rule) => rule.functionKey);
      expect([...new Set(matched)]).toEqual(file === real ? functions.map(inRealStack) : functions);
    });
    it("ignores the orchestrator's own outcome events", () => {
      const outcome = { source: 'vpc-mirror-orchestrator', 'detail-type': 'Mirror Session Attached', detail: { action: 'attach' } };
      expect(stack.rules.filter((rule) => matchesPattern(rule.pattern, outcome))).toEqual([]);
    });
    it('ignores a tag change that does not touch the opt-in key', () => {
      const event = fixture('tag-change-added.json');
      const other = { ...event, detail: { ...(event['detail'] as object), 'changed-tag-keys': ['team'] } };
      expect(stack.rules.filter((rule) => matchesPattern(rule.pattern, other))).toEqual([]);
    });
  });
});
