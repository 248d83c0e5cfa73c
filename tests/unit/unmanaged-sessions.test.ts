import { classifySession, findUnknownSessions, type InventorySession, sessionFingerprint } from '../../shared/domain/unmanaged-sessions';

const ACCOUNT = '111122223333';
const POOL = new Set(['tmt-0aaaaaaaaaaaaaaa1']);
const NOW = new Date('2026-12-04T22:00:00Z');

function inventorySession(overrides: Partial<InventorySession> = {}): InventorySession {
  return {
    sessionId: 'tms-0123456789abcdef0',
    ownerAccountId: ACCOUNT,
    eniId: 'eni-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    targetId: 'tmt-0ddddddddddddddd4',
    targetOwnerAccountId: ACCOUNT,
    filterId: 'tmf-0123456789abcdef0',
    sessionNumber: 1,
    managed: false,
    ...overrides,
  };
}

describe('classifySession', () => {
  it('never reports our own sessions', () => {
    expect(classifySession(inventorySession({ managed: true }), POOL)).toEqual({ kind: 'managed' });
  });

  it('calls a hand-made session to a pool or allow-listed target known', () => {
    expect(classifySession(inventorySession({ targetId: 'tmt-0aaaaaaaaaaaaaaa1' }), POOL)).toEqual({ kind: 'known' });
  });

  it.each([
    ['a target in this account nobody configured', {}, 'target-not-configured'],
    ['a target owned by another account', { targetOwnerAccountId: '444455556666' }, 'target-in-another-account'],
    ['a target this account cannot describe', { targetOwnerAccountId: undefined }, 'target-not-found'],
  ] as const)('calls a session to %s unknown', (_what, overrides, cause) => {
    expect(classifySession(inventorySession(overrides), POOL)).toEqual({ kind: 'unknown', cause });
  });
});

describe('findUnknownSessions', () => {
  it('says new for a session never announced, nothing new for one announced as it is, changed when it differs', () => {
    const same = inventorySession({ sessionId: 'tms-000000000000000a1' });
    const moved = inventorySession({ sessionId: 'tms-000000000000000a2', targetId: 'tmt-0eeeeeeeeeeeeeee5' });
    const fresh = inventorySession({ sessionId: 'tms-000000000000000a3' });
    const announced = new Map([
      [same.sessionId, { fingerprint: sessionFingerprint(same), firstSeenAt: '2026-12-01T00:00:00.000Z' }],
      [
        moved.sessionId,
        { fingerprint: sessionFingerprint({ ...moved, targetId: 'tmt-0ddddddddddddddd4' }), firstSeenAt: '2026-12-02T00:00:00.000Z' },
      ],
    ]);

    const found = findUnknownSessions(
      [same, moved, fresh, inventorySession({ managed: true, sessionId: 'tms-000000000000000a4' })],
      POOL,
      announced,
      NOW,
    );

    expect(found.map((entry) => [entry.session.sessionId, entry.status, entry.firstSeenAt])).toEqual([
      ['tms-000000000000000a1', 'announced', '2026-12-01T00:00:00.000Z'],
      ['tms-000000000000000a2', 'changed', '2026-12-02T00:00:00.000Z'],
      ['tms-000000000000000a3', 'new', NOW.toISOString()],
    ]);
  });
});
