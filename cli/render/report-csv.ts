/**
 * The report as one CSV table for machines (RFC 4180 quoting): a `record` column says what each row is (eni,
 * interval, target, unmanaged, coverage), and each kind fills the columns that apply to it. `region` came last, so
 * the columns before it keep their places.
 */
import type { CoverageReport } from '../views/report';

const COLUMNS = [
  'record',
  'group',
  'account',
  'vpc',
  'zone',
  'instanceId',
  'state',
  'eniId',
  'coverage',
  'reason',
  'detail',
  'sessionId',
  'targetId',
  'targetOwner',
  'sources',
  'sourceLimit',
  'eligible',
  'mirrored',
  'percent',
  'from',
  'to',
  'region',
] as const;

type Row = Partial<Record<(typeof COLUMNS)[number], string | number | boolean | null | undefined>>;

export function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderReportCsv(report: CoverageReport): string {
  const rows: Row[] = [];
  const groups = [
    ['account', report.coverage.byAccount],
    ['region', report.coverage.byRegion],
    ['vpc', report.coverage.byVpc],
    ['zone', report.coverage.byZone],
  ] as const;
  for (const [kind, list] of groups) {
    for (const group of list)
      rows.push({
        record: 'coverage',
        group: `${kind}:${group.key}`,
        eligible: group.eligible,
        mirrored: group.mirrored,
        percent: group.percent,
      });
  }
  for (const instance of report.instances) {
    for (const eni of instance.enis) {
      rows.push({
        record: 'eni',
        account: instance.accountId,
        region: instance.region,
        vpc: instance.vpcId,
        zone: instance.availabilityZone,
        instanceId: instance.instanceId,
        state: instance.state,
        eniId: eni.eniId,
        coverage: eni.coverage,
        reason: eni.reason,
        detail: eni.detail,
        sessionId: eni.sessionId,
        targetId: eni.targetId,
      });
    }
  }
  for (const target of report.targets) {
    rows.push({
      record: 'target',
      targetId: target.targetId,
      sources: target.sources,
      sourceLimit: target.sourceLimit === undefined ? 'unknown' : (target.sourceLimit ?? 'unlimited'),
    });
  }
  for (const session of report.unknownSessions) {
    rows.push({
      record: 'unmanaged',
      account: session.accountId,
      region: session.region,
      instanceId: session.instanceId,
      eniId: session.eniId,
      sessionId: session.sessionId,
      targetId: session.targetId,
      targetOwner: session.targetOwnerAccountId,
      reason: session.cause,
      from: session.firstSeenAt,
    });
  }
  for (const interval of report.intervals) {
    rows.push({
      record: 'interval',
      account: interval.accountId,
      region: interval.region,
      instanceId: interval.instanceId,
      eniId: interval.eniId,
      sessionId: interval.sessionId,
      targetId: interval.targetId,
      from: interval.from,
      to: interval.to,
      reason: interval.endReason,
    });
  }
  const lines = [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => csvCell(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
