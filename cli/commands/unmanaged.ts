/** Sessions not made by the orchestrator, to targets nobody configured, as status and report show them. */
import { inventoryUnknownSessions } from '../../shared/converge/unmanaged-sessions';
import { governanceDeps } from '../../shared/wiring/governance';
import type { CliSession } from '../session';
import { describeUnknownSessions, type ReportUnknownSession } from '../views/report';

export async function unmanagedSessionsOf(session: CliSession): Promise<ReportUnknownSession[]> {
  return describeUnknownSessions(await inventoryUnknownSessions(session.deps, governanceDeps(session.config).unmanaged));
}
