/**
 * The organization burst, as data: the fleet spread evenly over the accounts (the security account, where the hub
 * runs, and members), each account's share planned like the single-account burst (bench/fleet/plan.ts), and the
 * fastest any hub could converge it. Pure and seeded.
 */
import { MUTATING_BUCKET } from '../burst/physical-limit';
import { type FleetPlan, planFleet } from '../fleet/plan';

export interface OrganizationAccountPlan {
  readonly accountId: string;
  readonly plan: FleetPlan;
}

export interface OrganizationPlan {
  readonly accounts: readonly OrganizationAccountPlan[];
  readonly expectedSessions: number;
}

export interface OrganizationShape {
  readonly accounts: number;
  readonly instances: number;
  readonly twoEniShare: number;
  readonly unsupportedShare: number;
  readonly zones: number;
  readonly seed: number;
  readonly securityAccountId: string;
}

/** Member account ids: 12 digits, distinct from each other and from the security account. */
export function memberAccountId(index: number): string {
  return String(200_000_000_000 + (index + 1) * 1_010_101);
}

export function planOrganization(shape: OrganizationShape): OrganizationPlan {
  if (!Number.isInteger(shape.accounts) || shape.accounts < 1)
    throw new RangeError(`accounts must be an integer >= 1, got ${shape.accounts}`);
  const accountIds = [shape.securityAccountId, ...Array.from({ length: shape.accounts - 1 }, (_, index) => memberAccountId(index))];
  const accounts = accountIds.map((accountId, index) => ({
    accountId,
    plan: planFleet({
      // The remainder goes to the first accounts: 1,000 over 3 is 334, 333, 333.
      instances: Math.floor(shape.instances / shape.accounts) + (index < shape.instances % shape.accounts ? 1 : 0),
      twoEniShare: shape.twoEniShare,
      unsupportedShare: shape.unsupportedShare,
      zones: shape.zones,
      seed: shape.seed + index,
    }),
  }));
  return { accounts, expectedSessions: accounts.reduce((sum, account) => sum + account.plan.expectedSessions, 0) };
}

/**
 * The fastest a hub spending `share` of each account's budget can create every account's sessions: each account's
 * budget is separate, so the accounts run in parallel and the slowest (the one with the most sessions) sets the
 * limit; within an account, `share` of the bucket goes at once, then `share` of the refill per second. The simulator
 * refills `timeScale` times faster, but the hub paces itself at EC2's real rates, so only time scale 1 compares.
 */
export function organizationLimitSeconds(sessionsPerAccount: readonly number[], share: number, timeScale = 1): number {
  if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
  const burst = Math.max(1, Math.floor(MUTATING_BUCKET.capacity * share));
  const refill = MUTATING_BUCKET.refillPerSecond * share * timeScale;
  return Math.max(0, ...sessionsPerAccount.map((sessions) => Math.max(0, sessions - burst) / refill));
}
