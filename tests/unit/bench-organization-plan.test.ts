import { memberAccountId, organizationLimitSeconds, planOrganization } from '../../bench/org/plan';

describe('the organization burst plan', () => {
  const shape = {
    accounts: 10,
    instances: 1000,
    twoEniShare: 0.3,
    unsupportedShare: 0,
    zones: 3,
    seed: 1,
    securityAccountId: '111122223333',
  };

  it('spreads the instances evenly over the security account and distinct members', () => {
    const plan = planOrganization({ ...shape, instances: 1003 });

    expect(plan.accounts.map((account) => account.plan.instances.length)).toEqual([101, 101, 101, 100, 100, 100, 100, 100, 100, 100]);
    expect(plan.accounts[0]?.accountId).toBe('111122223333');
    expect(new Set(plan.accounts.map((account) => account.accountId)).size).toBe(10);
    for (const account of plan.accounts) expect(account.accountId).toMatch(/^\d{12}$/);
    expect(plan.expectedSessions).toBe(plan.accounts.reduce((sum, account) => sum + account.plan.expectedSessions, 0));
  });

  it('gives each account its own fleet from its own seed', () => {
    const plan = planOrganization(shape);

    expect(plan.accounts[0]?.plan.instances).not.toEqual(plan.accounts[1]?.plan.instances);
    expect(memberAccountId(0)).not.toBe(memberAccountId(1));
  });
});

describe('the organization limit', () => {
  it("is set by the account with the most sessions, at the hub's share of its bucket and refill", () => {
    // share 0.5: 25 at once, then 2.5 per second; the slowest account has 130 sessions: (130 - 25) / 2.5 = 42 s.
    expect(organizationLimitSeconds([100, 130, 90], 0.5)).toBeCloseTo(42);
  });

  it('is the single-account limit for one account at the whole budget', () => {
    expect(organizationLimitSeconds([300], 1)).toBeCloseTo((300 - 50) / 5);
  });

  it('is zero when every account fits in its burst, and shrinks with the time scale', () => {
    expect(organizationLimitSeconds([20, 25], 0.5)).toBe(0);
    expect(organizationLimitSeconds([125], 0.5, 10)).toBeCloseTo(4);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => organizationLimitSeconds([10], 0)).toThrow(RangeError);
    expect(() => organizationLimitSeconds([10], 1.5)).toThrow(RangeError);
  });
});
