/** The status lines about sessions not made by the orchestrator, to targets nobody configured. */
import type { Colors } from '../colors';
import type { ReportUnknownSession } from '../views/report';
import { renderTable, wrapText } from './table';

export function renderUnmanaged(sessions: readonly ReportUnknownSession[], colors: Colors, width: number | undefined): string {
  if (sessions.length === 0) return `${colors.green('No unmanaged session to an unknown target.')}\n`;
  const organization = sessions.some((session) => session.accountId !== undefined);
  const rows = sessions.map((session) => [
    ...(organization ? [session.accountId ?? '', session.region ?? ''] : []),
    session.sessionId,
    session.eniId,
    session.instanceId ?? 'unattached',
    session.targetId,
    session.cause,
    session.firstSeenAt,
  ]);
  const heading = `${sessions.length} session(s) not made by the orchestrator mirror to a target nobody configured (left untouched):`;
  const head = ['Unmanaged session', 'ENI', 'Instance', 'Target', 'Why unknown', 'First seen'];
  return `${colors.red(wrapText(heading, width))}\n${renderTable(organization ? ['Account', 'Region', ...head] : head, rows, colors, width)}\n`;
}
