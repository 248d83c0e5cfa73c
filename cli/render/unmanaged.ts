/** The status lines about sessions not made by the orchestrator, to targets nobody configured. */
import type { Colors } from '../colors';
import type { ReportUnknownSession } from '../views/report';
import { table } from './table';

export function renderUnmanaged(sessions: readonly ReportUnknownSession[], colors: Colors): string {
  if (sessions.length === 0) return `${colors.green('No unmanaged session to an unknown target.')}\n`;
  const rows = table(['Unmanaged session', 'ENI', 'Instance', 'Target', 'Why unknown', 'First seen'], colors);
  for (const session of sessions) {
    rows.push([session.sessionId, session.eniId, session.instanceId ?? 'unattached', session.targetId, session.cause, session.firstSeenAt]);
  }
  return `${colors.red(`${sessions.length} session(s) not made by the orchestrator mirror to a target nobody configured (left untouched):`)}\n${rows.toString()}\n`;
}
