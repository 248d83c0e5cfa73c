import { dueWindows, parseWindowEnd, readMirrorWindow } from '../../shared/domain/mirror-window';
import { planInstance } from '../../shared/domain/plan';
import { instance, planInput, planSettings, session } from './support/plan-builders';

const UNTIL = 'traffic-mirror-until';
const NOW = new Date('2026-12-04T22:00:00Z');

describe('parseWindowEnd', () => {
  it.each([
    ['2026-12-04T23:00:00Z', '2026-12-04T23:00:00.000Z'],
    ['2026-12-04T23:00Z', '2026-12-04T23:00:00.000Z'],
    ['2026-12-04T23:00:00.5Z', '2026-12-04T23:00:00.500Z'],
    [' 2026-12-04T23:00:00Z ', '2026-12-04T23:00:00.000Z'],
  ])('reads %j as %s', (value, expected) => {
    expect((parseWindowEnd(value) as Date).toISOString()).toBe(expected);
  });

  it.each([
    'tomorrow',
    '2026-12-04',
    '2026-12-04T23:00:00',
    '2026-12-04T23:00:00+01:00',
    '1733353200',
    '2026-02-30T10:00:00Z',
    '2026-12-04T24:00:00Z',
  ])('refuses %j with a reason', (value) => {
    expect(typeof parseWindowEnd(value)).toBe('string');
  });
});

describe('readMirrorWindow', () => {
  it('is unbounded without the tag, open before the end, ended at and after it', () => {
    expect(readMirrorWindow({}, UNTIL, NOW)).toEqual({ kind: 'unbounded' });
    expect(readMirrorWindow({ [UNTIL]: '2026-12-04T22:00:01Z' }, UNTIL, NOW).kind).toBe('open');
    expect(readMirrorWindow({ [UNTIL]: '2026-12-04T22:00:00Z' }, UNTIL, NOW).kind).toBe('ended');
  });

  it('names the tag and its value when the value is malformed', () => {
    expect(readMirrorWindow({ [UNTIL]: 'soon' }, UNTIL, NOW)).toEqual({
      kind: 'malformed',
      detail: 'tag traffic-mirror-until="soon" is not an ISO-8601 UTC time like 2026-12-04T23:00:00Z; fix or remove the tag',
    });
  });
});

describe('dueWindows', () => {
  it('takes the windows ending before the next tick or a little earlier, in end-time order, and leaves older and malformed ones', () => {
    const values = new Map([
      ['i-later', '2026-12-04T22:00:59Z'],
      ['i-next-tick', '2026-12-04T22:01:01Z'],
      ['i-just-ended', '2026-12-04T21:58:00Z'],
      ['i-long-ago', '2026-12-04T20:00:00Z'],
      ['i-soon', '2026-12-04T22:00:10Z'],
      ['i-broken', 'friday'],
    ]);

    const due = dueWindows(values, NOW, 60_000, 5 * 60_000);

    expect(due.map((window) => window.instanceId)).toEqual(['i-just-ended', 'i-soon', 'i-later']);
  });
});

describe('planning with an end-time tag', () => {
  const settings = planSettings({ untilTagKey: UNTIL });
  const tagged = (value: string) => instance({ tags: { 'traffic-mirror': 'true', [UNTIL]: value } });

  it('keeps mirroring before the end time', () => {
    const mirrored = session({ eniId: 'eni-0000000000000000a' });
    const decisions = planInstance(planInput({ instance: tagged('2026-12-05T00:00:00Z'), sessions: [mirrored], now: NOW }), settings);
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['keep', 'already-mirrored']]);
  });

  it('detaches every managed session once the end time has passed, with reason mirror-window-ended', () => {
    const mirrored = session({ eniId: 'eni-0000000000000000a' });
    const decisions = planInstance(planInput({ instance: tagged('2026-12-04T21:59:59Z'), sessions: [mirrored], now: NOW }), settings);
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'detach', sessionId: mirrored.sessionId, reason: 'mirror-window-ended' }),
    ]);
  });

  it('attaches nothing after the end time', () => {
    const decisions = planInstance(planInput({ instance: tagged('2026-12-04T21:00:00Z'), now: NOW }), settings);
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['skip', 'mirror-window-ended']]);
  });

  it('refuses a malformed end time, naming it, and detaches what was mirrored', () => {
    const mirrored = session({ eniId: 'eni-0000000000000000a' });
    const decisions = planInstance(planInput({ instance: tagged('next week'), sessions: [mirrored], now: NOW }), settings);
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([
      ['detach', 'mirror-window-invalid'],
      ['refuse', 'mirror-window-invalid'],
    ]);
    expect(decisions[1]).toMatchObject({ detail: expect.stringContaining('traffic-mirror-until="next week"') });
  });

  it('changes nothing without the tag', () => {
    const decisions = planInstance(planInput({ now: NOW }), settings);
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([['attach', 'eligible']]);
  });
});
