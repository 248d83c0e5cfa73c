/** Sessions not made by the orchestrator, to targets nobody configured, as status and report show them. */
import { inventoryUnknownSessions } from '../../shared/converge/unmanaged-sessions';
import type { ScopeSession } from '../session';
import { describeUnknownSessions, type ReportUnknownSession } from '../views/report';

export async function unmanagedSessionsOf(scoped: ScopeSession): Promise<ReportUnknownSession[]> {
  return describeUnknownSessions(await inventoryUnknownSessions(scoped.deps, scoped.unmanaged));
}
