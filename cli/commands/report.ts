import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { readAndPlan } from '../../shared/converge';
import { readTargetLoads, type TargetLoad } from '../../shared/converge/target-load';
import { inventoryUnknownSessions } from '../../shared/converge/unmanaged-sessions';
import { acrossScopes, scopeFieldsOf, scopeProblemsExitCode } from '../across-scopes';
import { UsageError } from '../exit-codes';
import type { CliIo } from '../io';
import { addCommonOptions, type CommonOptions } from '../options';
import { renderReportCsv } from '../render/report-csv';
import { renderReportHtml } from '../render/report-html';
import { resolveScope } from '../scope';
import { buildCoverageReport, type CoverageReport } from '../views/report';
import { action } from './context';
import { intervalsOf } from './report-history';
import { outcomesOf, plansOfThisScope } from './scoped-work';

type ReportFormat = 'html' | 'csv' | 'json';

interface ReportOptions extends CommonOptions {
  readonly format: ReportFormat;
  readonly since?: Date;
  readonly until?: Date;
  readonly output?: string;
}

const DEFAULT_RANGE_DAYS = 30;
const DEFAULT_HTML_FILE = 'mirror-report.html';

function parseTime(raw: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(time))
    throw new InvalidArgumentError(`expected an ISO-8601 date or time like 2026-12-01 or 2026-12-01T09:00:00Z, got "${raw}"`);
  return new Date(time);
}

const RENDER: Readonly<Record<ReportFormat, (report: CoverageReport) => string>> = {
  html: renderReportHtml,
  csv: renderReportCsv,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
};

export function registerReport(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  addCommonOptions(
    program
      .command('report')
      .summary('coverage and audit report: one self-contained HTML file, or CSV / JSON')
      .description(
        'Coverage per account, Region, VPC and Availability Zone with a chart; each instance with its ENIs and why any is not ' +
          "mirrored; each target's load; sessions not made by the orchestrator to unknown targets; and every mirrored " +
          'interval between --since and --until from the ledger history (kept HISTORY_TTL_DAYS). Reads only. HTML is ' +
          `written to --output (default ${DEFAULT_HTML_FILE}); CSV and JSON go to stdout unless --output is given.`,
      )
      .addOption(new Option('--format <format>', 'html, csv or json').choices(['html', 'csv', 'json']).default('html'))
      .addOption(
        new Option('--since <time>', `start of the audit range (default: ${DEFAULT_RANGE_DAYS} days before --until)`).argParser(parseTime),
      )
      .addOption(new Option('--until <time>', 'end of the audit range (default: now)').argParser(parseTime))
      .addOption(new Option('--output <file>', 'where to write the report')),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  mirrorctl report --since 2026-11-01 --output november.html\n  mirrorctl report --format csv > coverage.csv\n',
    )
    .action(
      action<ReportOptions>(io, setExitCode, async ({ session }, options) => {
        const now = session.deps.clock.now();
        const until = options.until ?? now;
        const since = options.since ?? new Date(until.getTime() - DEFAULT_RANGE_DAYS * 86_400_000);
        if (since.getTime() >= until.getTime())
          throw new UsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()})`);
        const named = options.instance ?? [];
        const done = await acrossScopes(session, async (scoped) => {
          const scope = await resolveScope(named, scoped.deps);
          const [read, targets, unknown] = await Promise.all([
            readAndPlan(scope.instanceIds, scoped.deps, { rememberedEnis: 'always' }),
            readTargetLoads(scoped.deps),
            inventoryUnknownSessions(scoped.deps, scoped.unmanaged),
          ]);
          const plans = plansOfThisScope(session, read);
          return { reads: { region: scoped.region, where: scopeFieldsOf(scoped.scope), plans, unknown }, targets };
        });
        const report = buildCoverageReport({
          scopes: done.results.map((result) => result.value.reads),
          targets: distinctTargets(done.results.flatMap((result) => result.value.targets)),
          intervals: await intervalsOf(session, since, until),
          since,
          until,
          now,
          ...(session.organization !== undefined && { outcomes: outcomesOf(session, done) }),
        });
        for (const problem of done.problems) {
          io.stderr.write(`mirrorctl: ${problem.kind} ${problem.accountId} ${problem.region}: not in the report: ${problem.detail}\n`);
        }
        const format: ReportFormat = options.json ? 'json' : options.format;
        const text = RENDER[format](report);
        const output = options.output ?? (format === 'html' ? DEFAULT_HTML_FILE : undefined);
        if (output === undefined) {
          io.stdout.write(text);
        } else {
          writeFileSync(output, text);
          io.stderr.write(`mirrorctl: wrote the ${format} report to ${output}\n`);
        }
        return scopeProblemsExitCode(done.problems);
      }),
    );
}

/** A target shared with several accounts is counted once (its load is the ledger's, across accounts). */
function distinctTargets(loads: readonly TargetLoad[]): TargetLoad[] {
  const byId = new Map<string, TargetLoad>();
  for (const load of loads) if (byId.get(load.targetId)?.kind === undefined) byId.set(load.targetId, load);
  return [...byId.values()];
}
