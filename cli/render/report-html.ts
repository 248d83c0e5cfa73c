/**
 * The report as one self-contained HTML file: inline CSS, an inline SVG chart, no script, no font, no image, no
 * link to anything, so it opens from disk (or an e-mail attachment) exactly as written. Every value is escaped.
 */
import type { CoverageGroup, CoverageReport, ReportInstance } from '../views/report';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2733; margin: 24px 32px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5dbe3; padding-bottom: 4px; }
.meta { color: #5b6778; margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid #d5dbe3; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 24px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6eaf0; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mirrored { color: #1a7f37; } .unmirrored { color: #c62828; font-weight: 600; } .not-eligible { color: #5b6778; }
.alert { background: #fdecea; border: 1px solid #f5c2c0; border-radius: 6px; padding: 8px 12px; }
.ok { background: #e9f6ec; border: 1px solid #b7e0c2; border-radius: 6px; padding: 8px 12px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; white-space: nowrap; }
`;

const BAR_WIDTH = 360;
const ROW_HEIGHT = 26;
const LABEL_WIDTH = 200;

/** Horizontal bars: mirrored share of eligible ENIs per group, with the counts. */
export function coverageChart(title: string, groups: readonly CoverageGroup[]): string {
  const height = groups.length * ROW_HEIGHT + 30;
  const rows = groups.map((group, index) => {
    const y = 24 + index * ROW_HEIGHT;
    const width = group.eligible === 0 ? 0 : Math.round((group.mirrored / group.eligible) * BAR_WIDTH);
    const color = group.percent >= 100 ? '#2da44e' : group.percent >= 80 ? '#d4a72c' : '#cf222e';
    return (
      `<text x="0" y="${y + 14}" font-size="12">${escapeHtml(group.key)}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${BAR_WIDTH}" height="18" fill="#eef1f5"/>` +
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="18" fill="${color}"/>` +
      `<text x="${LABEL_WIDTH + BAR_WIDTH + 8}" y="${y + 14}" font-size="12">${group.percent}% (${group.mirrored}/${group.eligible})</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${LABEL_WIDTH + BAR_WIDTH + 130}" height="${height}" font-family="system-ui, sans-serif">` +
    `<text x="0" y="14" font-size="13" font-weight="600">${escapeHtml(title)}</text>${rows.join('')}</svg>`
  );
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: readonly number[] = []): string {
  if (rows.length === 0) return '<p class="meta">None.</p>';
  const head = headers.map((header, index) => `<th${numeric.includes(index) ? ' class="num"' : ''}>${escapeHtml(header)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell, index) => `<td${numeric.includes(index) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function groupRows(groups: readonly CoverageGroup[]): string[][] {
  return groups.map((group) => [escapeHtml(group.key), String(group.eligible), String(group.mirrored), `${group.percent}%`]);
}

function instanceRows(instances: readonly ReportInstance[]): string[][] {
  return instances.flatMap((instance) =>
    instance.enis.map((eni, index) => [
      index === 0 ? `<code>${escapeHtml(instance.instanceId)}</code>` : '',
      index === 0 ? escapeHtml(`${instance.state} ${instance.instanceType ?? ''}`) : '',
      index === 0 ? escapeHtml(`${instance.accountId} ${instance.region} / ${instance.vpcId} / ${instance.availabilityZone}`) : '',
      `<code>${escapeHtml(eni.eniId)}</code>`,
      `<span class="${eni.coverage}">${escapeHtml(eni.coverage)}</span>`,
      escapeHtml(eni.reason) + (eni.detail ? `<br><small>${escapeHtml(eni.detail)}</small>` : ''),
      eni.sessionId ? `<code>${escapeHtml(eni.sessionId)}</code> → <code>${escapeHtml(eni.targetId)}</code>` : '',
    ]),
  );
}

/** Organization: the accounts and Regions that could not be read, so are missing from the figures. */
function scopesBlock(report: CoverageReport): string {
  const missing = (report.scopes ?? []).filter((scope) => scope.outcome !== 'read');
  if (missing.length === 0) return '';
  return (
    `<p class="alert">${missing.length} account(s) and Region(s) of the organization could not be read and are not counted above.</p>` +
    table(
      ['account', 'Region', 'why', 'detail'],
      missing.map((scope) => [escapeHtml(scope.accountId), escapeHtml(scope.region), escapeHtml(scope.outcome), escapeHtml(scope.detail)]),
    )
  );
}

export function renderReportHtml(report: CoverageReport): string {
  const { coverage } = report;
  const unknown = report.unknownSessions;
  const unknownBlock =
    unknown.length === 0
      ? '<p class="ok">No session to a target outside the pool and the allow-list.</p>'
      : `<p class="alert">${unknown.length} session(s) not made by the orchestrator copy traffic to a target nobody configured. They are left untouched: check who created them.</p>` +
        table(
          ['session', 'ENI', 'instance', 'target', 'target owner', 'why unknown', 'first seen', 'announced'],
          unknown.map((session) => [
            `<code>${escapeHtml(session.sessionId)}</code>`,
            `<code>${escapeHtml(session.eniId)}</code>`,
            escapeHtml(session.instanceId ?? 'unattached'),
            `<code>${escapeHtml(session.targetId)}</code>`,
            escapeHtml(session.targetOwnerAccountId ?? 'not visible'),
            escapeHtml(session.cause),
            escapeHtml(session.firstSeenAt),
            session.announced ? 'yes' : 'not yet',
          ]),
        );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Traffic mirroring coverage and audit report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Traffic mirroring coverage and audit report</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)} · mirrored intervals from ${escapeHtml(report.range.since)} to ${escapeHtml(report.range.until)}</p>
<div class="cards">
<div class="card"><b>${coverage.total.percent}%</b>coverage</div>
<div class="card"><b>${coverage.total.mirrored} / ${coverage.total.eligible}</b>eligible ENIs mirrored</div>
<div class="card"><b>${report.instances.length}</b>instances</div>
<div class="card"><b>${unknown.length}</b>unknown sessions</div>
</div>
<h2>Coverage</h2>
${coverageChart('By Availability Zone', coverage.byZone)}
${coverageChart('By VPC', coverage.byVpc)}
${table(['account', 'eligible ENIs', 'mirrored', 'coverage'], groupRows(coverage.byAccount), [1, 2, 3])}
${table(['Region', 'eligible ENIs', 'mirrored', 'coverage'], groupRows(coverage.byRegion), [1, 2, 3])}
${scopesBlock(report)}
<h2>Instances and their network interfaces</h2>
${table(['instance', 'state / type', 'account Region / VPC / zone', 'ENI', 'coverage', 'why', 'session → target'], instanceRows(report.instances))}
<h2>Targets</h2>
${table(
  ['target', 'kind', 'sources', 'limit'],
  report.targets.map((target) => [
    `<code>${escapeHtml(target.targetId)}</code>`,
    escapeHtml(target.kind ?? 'not found'),
    String(target.sources),
    escapeHtml(target.sourceLimit === undefined ? 'unknown' : (target.sourceLimit ?? 'unlimited')),
  ]),
  [2, 3],
)}
<h2>Unmanaged sessions</h2>
${unknownBlock}
<h2>Mirrored intervals</h2>
${table(
  ['instance', 'ENI', 'session', 'target', 'from', 'to', 'ended because'],
  report.intervals.map((interval) => [
    `<code>${escapeHtml(interval.instanceId)}</code>`,
    `<code>${escapeHtml(interval.eniId)}</code>`,
    `<code>${escapeHtml(interval.sessionId)}</code>`,
    `<code>${escapeHtml(interval.targetId ?? '')}</code>`,
    escapeHtml(interval.openAtStart ? `before ${interval.from}` : interval.from),
    escapeHtml(interval.openAtEnd ? `still mirrored at ${interval.to}` : interval.to),
    escapeHtml(interval.endReason ?? ''),
  ]),
)}
</body>
</html>
`;
}
