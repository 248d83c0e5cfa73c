/**
 * What a person reads: one line per decision as it happens, a header per story step, then a table per instance
 * and the invariants. Colour only when the stream is a terminal and NO_COLOR is unset (picocolors decides).
 */
import { stripVTControlCharacters } from 'node:util';
import pc from 'picocolors';
import { renderTable, wrapText } from '../../cli/render/table';
import type { InvariantReport } from '../oracle';
import type { DecisionRecord, OtherLogEntry } from './decisions';
import type { AccountReport } from './organization/report';
import type { StoryStep } from './scenario';
import type { InstanceReport, SandboxSummary, TargetReport } from './summary';

type Colors = ReturnType<typeof pc.createColors>;

export interface Renderer {
  banner(text: string): void;
  stepHeader(index: number, total: number, step: Pick<StoryStep, 'title' | 'expect'>): void;
  decision(decision: DecisionRecord): void;
  logEntry(entry: OtherLogEntry): void;
  note(text: string): void;
  stepChecked(report: InvariantReport): void;
  finalReport(summary: SandboxSummary): void;
}

export interface RendererOptions {
  readonly write: (text: string) => void;
  /** Default: picocolors' own judgement for stdout (TTY, NO_COLOR, FORCE_COLOR). */
  readonly color?: boolean;
  /** instance id -> the fleet's name for it, filled as instances are launched. */
  readonly names: ReadonlyMap<string, string>;
  /** target id -> a readable label (ids-1, nlb). */
  readonly targetLabels: ReadonlyMap<string, string>;
  /** The terminal's columns: lines are fitted to it (80 and more). Undefined (a pipe, a file): whole lines. */
  readonly width?: number;
}

/** The width the sandbox's streams should be fitted to: a terminal's columns, nothing for a pipe or a file. */
export function widthFor(stream: NodeJS.WriteStream): number | undefined {
  return stream.isTTY ? stream.columns : undefined;
}

/** picocolors says no (NO_COLOR, --no-color, TERM=dumb) -> no; FORCE_COLOR -> yes; else only on a terminal. */
export function colorsFor(stream: NodeJS.WriteStream): boolean {
  if (!pc.isColorSupported) return false;
  const forced = process.env.FORCE_COLOR;
  if (forced !== undefined && forced !== '0' && forced !== 'false') return true;
  return stream.isTTY === true;
}

export function createRenderer(options: RendererOptions): Renderer {
  const c = pc.createColors(options.color ?? pc.isColorSupported);
  const { width } = options;
  const line = (text: string): void => options.write(`${wrapText(text, width, ' '.repeat(HANGING_INDENT))}\n`);
  const instanceLabel = (instanceId: string): string => {
    const name = options.names.get(instanceId) ?? '?';
    return `${name.padEnd(NAME_WIDTH)} ${c.dim(instanceId.padEnd(INSTANCE_ID_WIDTH))}`;
  };
  const targetLabel = (targetId: string): string => options.targetLabels.get(targetId) ?? targetId;

  return {
    banner(text) {
      line(c.bold(text));
    },
    stepHeader(index, total, step) {
      line('');
      line(c.bold(c.cyan(`── step ${index}/${total}: ${step.title} `.padEnd(Math.min(100, width ?? 100), '─'))));
      line(c.dim(`   expect: ${step.expect}`));
    },
    decision(decision) {
      // On a terminal narrower than the full line, the function and the instance id give way to the fleet's name.
      const full = formatDecision(decision, c, instanceLabel, targetLabel);
      const fits = width === undefined || stripVTControlCharacters(full).length <= width;
      line(
        fits
          ? full
          : formatDecision(decision, c, instanceLabel, targetLabel, (instanceId) =>
              (options.names.get(instanceId) ?? instanceId).padEnd(NAME_WIDTH),
            ),
      );
    },
    logEntry(entry) {
      if (entry.level !== 'WARN' && entry.level !== 'ERROR' && entry.level !== 'CRITICAL') return;
      const paint = entry.level === 'WARN' ? c.yellow : c.red;
      const context = entry.context ? `  ${c.dim(entry.context)}` : '';
      line(`${c.dim(clock(entry.time))}  ${fn(entry.functionName)}  ${paint(entry.level)} ${entry.message}${context}`);
    },
    note(text) {
      line(c.dim(`   ${text}`));
    },
    stepChecked(report) {
      if (report.ok) {
        const eligible = report.checks.find((check) => check.name === 'eligible-mirrored-once')?.examined ?? 0;
        line(c.green(`   ✔ invariants hold (${eligible} eligible ENIs, each mirrored once)`));
      } else {
        for (const violation of report.violations) line(c.red(`   ✘ ${violation.message}`));
      }
    },
    finalReport(summary) {
      line('');
      line(c.bold('Final state'));
      options.write(`${instanceTable(summary.instances, c, targetLabel, width)}\n`);
      options.write(`${targetTable(summary.targets, c, width)}\n`);
      if (summary.accounts) {
        line('');
        line(c.bold('Accounts'));
        for (const text of accountLines(summary.accounts, c)) line(text);
      }
      line('');
      line(c.bold('Invariants'));
      for (const text of invariantLines(summary.invariants, c)) line(text);
      const duplicates = summary.transientDuplicates;
      const mark = duplicates.length === 0 ? c.green('✔') : c.red('✘');
      line(`${mark} never two managed sessions on one ENI, even for a moment ${c.dim(`(${summary.createsWatched} creates watched)`)}`);
      for (const duplicate of duplicates) line(`    ${c.red(duplicate)}`);
      for (const letter of summary.deadLetters) {
        const text = `dead letter (${letter.kind}): ${letter.functionName} ${letter.eventId ?? '(no event id)'}: ${letter.error}`;
        line(letter.expected ? `${c.green('✔')} expected ${text}` : c.red(`✘ unexpected ${text}`));
      }
      for (const eventId of summary.missingDeadLetters) {
        line(c.red(`✘ event ${eventId} should have ended in the dead-letter queue and did not`));
      }
      line('');
      const failedSteps = summary.stepChecks.filter((check) => check.violations.length > 0);
      for (const check of failedSteps) line(c.red(`✘ after step ${check.step} (${check.title}): ${check.violations.length} violations`));
      const verdict = summary.ok ? c.green('all invariants hold, after every step and at the end') : c.red('FAILED: see the ✘ lines above');
      line(
        `${verdict}: ${summary.decisions.length} decisions, ${summary.deadLetters.length} dead letters, ` +
          `${(summary.durationMs / 1000).toFixed(1)} s`,
      );
    },
  };
}

// Column widths of the decision line (padding is applied before colouring, so escape codes do not count).
const ACTION_WIDTH = 7;
const NAME_WIDTH = 10;
const INSTANCE_ID_WIDTH = 19;
const ENI_ID_WIDTH = 21;
const REASON_WIDTH = 25;
/** Continuation lines of a wrapped decision start under its ENI column (clock + name). */
const HANGING_INDENT = 14;

function formatDecision(
  decision: DecisionRecord,
  c: Colors,
  instanceLabel: (instanceId: string) => string,
  targetLabel: (targetId: string) => string,
  /** Set for a narrow terminal: the label that replaces the function and the instance columns. */
  compactLabel?: (instanceId: string) => string,
): string {
  const paint = actionColor(decision.action, c);
  const parts = [
    c.dim(clock(decision.time)),
    ...(compactLabel ? [] : [fn(decision.functionName)]),
    compactLabel ? compactLabel(decision.instanceId) : instanceLabel(decision.instanceId),
    (decision.eniId ?? '-').padEnd(ENI_ID_WIDTH),
    paint(decision.action.padEnd(ACTION_WIDTH)),
    decision.reason.padEnd(REASON_WIDTH),
  ];
  if (decision.action === 'attach' || decision.action === 'detach' || decision.action === 'keep') {
    const where = [
      decision.sessionNumber !== undefined ? `#${decision.sessionNumber}` : undefined,
      decision.targetId ? `-> ${targetLabel(decision.targetId)}` : undefined,
    ].filter(Boolean);
    if (where.length > 0) parts.push(where.join(' '));
  }
  // A session nobody configured: which one and where it copies to (a finding logged at WARN, not a failure).
  if (decision.action === 'detect') {
    parts.push(c.red(`${decision.sessionId ?? '?'} -> ${decision.targetId ? targetLabel(decision.targetId) : '?'} (left untouched)`));
    return parts.join('  ').trimEnd();
  }
  // A failure's detail is the error itself; a refusal's long explanation stays in the ledger and --json.
  if (decision.action === 'fail' && decision.detail) parts.push(c.red(decision.detail));
  if (decision.level === 'ERROR' || decision.level === 'WARN') parts.push(c.red(`[${decision.level}]`));
  return parts.join('  ').trimEnd();
}

function actionColor(action: DecisionRecord['action'], c: Colors): (text: string) => string {
  switch (action) {
    case 'attach':
      return c.green;
    case 'detach':
      return c.magenta;
    case 'refuse':
      return c.yellow;
    case 'keep':
      return c.blue;
    case 'skip':
      return c.dim;
    case 'fail':
    case 'detect':
      return c.red;
  }
}

/** Shorter function names in the log: `vpc-mirror-orchestrator-dev-instanceEvents` -> `instanceEvents`. */
function fn(functionName: string): string {
  const short = functionName.split('-').pop() ?? functionName;
  return short.padEnd(14);
}

function clock(iso: string): string {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(iso);
  return (match?.[1] ?? iso).padEnd(12);
}

function instanceTable(
  instances: readonly InstanceReport[],
  c: Colors,
  targetLabel: (id: string) => string,
  width: number | undefined,
): string {
  const rows = instances.map((instance) => {
    const sessions = instance.enis.flatMap((eni) =>
      eni.sessions.map((session) => {
        const who = session.managed ? '' : c.dim(' (hand-made)');
        return `eth${eni.deviceIndex} #${session.sessionNumber} -> ${targetLabel(session.targetId)}${who}`;
      }),
    );
    const mirrored = instance.enis.filter((eni) => eni.sessions.some((session) => session.managed)).length;
    return [
      `${instance.name}\n${c.dim(instance.instanceId)}`,
      instance.instanceType,
      instance.zone,
      stateText(instance.state, c),
      instance.tagged ? c.green('yes') : 'no',
      `${mirrored}/${instance.enis.length} mirrored`,
      sessions.join('\n') || c.dim('none'),
      instance.notMirroredReasons.join('\n') || '',
    ];
  });
  const head = ['instance', 'type', 'zone', 'state', 'tagged', 'ENIs', 'sessions (number -> target)', 'not mirrored because'];
  return renderTable(head, rows, c, width);
}

function targetTable(targets: readonly TargetReport[], c: Colors, width: number | undefined): string {
  const rows = targets.map((target) => [
    `${target.label}\n${c.dim(target.targetId)}`,
    target.kind,
    target.zone ?? 'any',
    String(target.sources),
    target.sourceLimit === null ? 'none' : String(target.sourceLimit),
  ]);
  return renderTable(['target', 'kind', 'zone', 'sources', 'limit'], rows, c, width);
}

function stateText(state: string, c: Colors): string {
  if (state === 'running') return c.green(state);
  if (state === 'terminated' || state === 'gone') return c.dim(state);
  return c.yellow(state);
}

function invariantLines(report: InvariantReport, c: Colors): string[] {
  const lines: string[] = [];
  for (const check of report.checks) {
    const mark = check.violations.length === 0 ? c.green('✔') : c.red('✘');
    lines.push(`${mark} ${check.description} ${c.dim(`(${check.examined} examined)`)}`);
    for (const violation of check.violations) lines.push(`    ${c.red(violation.message)}`);
  }
  return lines;
}

/** Per account: ENIs mirrored in each Region; for one without a spoke role, what the hub reported (or that it did not). */
function accountLines(accounts: readonly AccountReport[], c: Colors): string[] {
  return accounts.flatMap((account) => {
    const regions = account.regions.map((region) => `${region.region} ${region.mirrored}/${region.enis} ENIs mirrored`).join(', ');
    const head = `${account.label} ${account.accountId} (${account.role}): ${regions}`;
    if (account.hasSpokeRole) return [`${c.green('✔')} ${head}`];
    if (!account.ok) {
      const why = account.denialReports.length === 0 ? 'the hub never reported its missing spoke role' : 'sessions were made there';
      return [c.red(`✘ ${head}: no spoke role, and ${why}`)];
    }
    return [
      `${c.green('✔')} ${head}: no spoke role, reported by the hub and left untouched`,
      ...account.denialReports.slice(0, 3).map((report) => `    ${c.dim(report)}`),
    ];
  });
}
