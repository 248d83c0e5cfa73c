/** Sessions not made by the orchestrator, to targets nobody configured, as status and report show them. */
import { createAnnouncementLedger } from '../../shared/aws/announcement-ledger';
import { dynamoDocuments, ec2 } from '../../shared/aws/clients';
import { createInventory } from '../../shared/aws/inventory';
import { inventoryUnknownSessions, type UnmanagedWatch } from '../../shared/converge/unmanaged-sessions';
import type { CliSession } from '../session';
import { describeUnknownSessions, type ReportUnknownSession } from '../views/report';

export function unmanagedWatch({ config }: CliSession): UnmanagedWatch {
  return {
    inventory: createInventory({ client: ec2(), ownerId: config.ownerId }),
    announcements: createAnnouncementLedger({ documents: dynamoDocuments(), tableName: config.tableName, historyTtlDays: config.historyTtlDays }),
  };
}

export async function unmanagedSessionsOf(session: CliSession): Promise<ReportUnknownSession[]> {
  return describeUnknownSessions(await inventoryUnknownSessions(session.deps, unmanagedWatch(session)));
}
