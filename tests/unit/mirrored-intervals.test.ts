import { type HistoryRecord, mirroredIntervals } from '../../shared/domain/mirrored-intervals';

const record = (at: string, action: string, sessionId: string, reason = 'eligible'): HistoryRecord => ({
  at,
  instanceId: 'i-0123456789abcdef0',
  eniId: 'eni-0123456789abcdef0',
  action,
  reason,
  sessionId,
  targetId: 'tmt-0123456789abcdef0',
});

const SINCE = new Date('2026-12-01T00:00:00Z');
const UNTIL = new Date('2026-12-02T00:00:00Z');

describe('mirroredIntervals', () => {
  it('opens an interval at the attach and closes it at the detach, with the detach reason', () => {
    const intervals = mirroredIntervals(
      [record('2026-12-01T10:00:00.000Z', 'attach', 'tms-1'), record('2026-12-01T12:00:00.000Z', 'detach', 'tms-1', 'mirror-window-ended')],
      SINCE,
      UNTIL,
    );
    expect(intervals).toEqual([
      expect.objectContaining({
        sessionId: 'tms-1',
        from: '2026-12-01T10:00:00.000Z',
        to: '2026-12-01T12:00:00.000Z',
        openAtStart: false,
        openAtEnd: false,
        endReason: 'mirror-window-ended',
      }),
    ]);
  });

  it('clips to the range and says when an interval began before it or lasts beyond it', () => {
    const intervals = mirroredIntervals([record('2026-11-30T10:00:00.000Z', 'attach', 'tms-2')], SINCE, UNTIL);
    expect(intervals).toEqual([
      expect.objectContaining({ from: SINCE.toISOString(), to: UNTIL.toISOString(), openAtStart: true, openAtEnd: true }),
    ]);
    expect(intervals[0]).not.toHaveProperty('endReason');
  });

  it('leaves out intervals outside the range, and sessions whose attach the history no longer holds', () => {
    const intervals = mirroredIntervals(
      [
        record('2026-11-20T10:00:00.000Z', 'attach', 'tms-3'),
        record('2026-11-21T10:00:00.000Z', 'detach', 'tms-3'),
        record('2026-12-03T10:00:00.000Z', 'attach', 'tms-4'),
        record('2026-12-01T10:00:00.000Z', 'release', 'tms-5', 'session-gone'),
      ],
      SINCE,
      UNTIL,
    );
    expect(intervals).toEqual([]);
  });

  it('ends an interval when the ledger releases a session EC2 lost', () => {
    const intervals = mirroredIntervals(
      [record('2026-12-01T10:00:00.000Z', 'attach', 'tms-6'), record('2026-12-01T11:00:00.000Z', 'release', 'tms-6', 'session-gone')],
      SINCE,
      UNTIL,
    );
    expect(intervals.map((interval) => [interval.to, interval.endReason])).toEqual([['2026-12-01T11:00:00.000Z', 'session-gone']]);
  });
});
