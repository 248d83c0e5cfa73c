/**
 * The mirrored intervals of the report, from the ledger history: the home scope's for a single account, as the
 * functions' own reader sees it; every covered (account, Region)'s for an organization, each interval naming its own.
 */
import type { ScopedHistoryRecord } from '../../shared/converge/governance-ports';
import { type MirroredInterval, mirroredIntervals } from '../../shared/domain/mirrored-intervals';
import { governanceDeps } from '../../shared/wiring/governance';
import type { ScopeFields } from '../across-scopes';
import { credentialsAccountId } from '../aws/ledger-history';
import type { CliSession } from '../session';

export async function intervalsOf(session: CliSession, since: Date, until: Date): Promise<Array<MirroredInterval & ScopeFields>> {
  const history = governanceDeps(session.config).history;
  if (session.organization === undefined) {
    const home = (await history.readHistory()).filter((record) => record.accountId === undefined);
    return mirroredIntervals(home, since, until);
  }
  const [records, homeAccountId] = await Promise.all([history.readHistory(), credentialsAccountId()]);
  const covered = session.scopes.flatMap((entry) => (entry.scope === undefined ? [] : [entry.scope]));
  const byScope = new Map<string, ScopedHistoryRecord[]>();
  for (const record of records) {
    // The home scope's items carry no prefix: they are the hub's own account in its own Region.
    const accountId = record.accountId ?? homeAccountId;
    const region = record.region ?? session.region;
    if (!covered.some((scope) => scope.accountId === accountId && scope.region === region)) continue;
    const key = `${accountId}/${region}`;
    const list = byScope.get(key) ?? [];
    list.push(record);
    byScope.set(key, list);
  }
  return covered.flatMap((scope) =>
    mirroredIntervals(byScope.get(`${scope.accountId}/${scope.region}`) ?? [], since, until).map((interval) => ({
      accountId: scope.accountId,
      region: scope.region,
      ...interval,
    })),
  );
}
