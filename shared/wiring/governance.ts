/**
 * The real adapters of the governance features (issue 14): the account's whole mirroring inventory, the ledger's
 * announcements of unmanaged sessions and its history, for the sweep, the window-end function and the CLI.
 */
import { type AwsClients, dynamoDocuments, ec2 } from '../aws/clients';
import { createInventory } from '../aws/inventory';
import { createAnnouncementLedger } from '../aws/ledger/announcements';
import { createHistoryReader } from '../aws/ledger/history-reader';
import type { Config } from '../config/config';
import type { HistoryReaderPort, InventoryPort } from '../converge/governance-ports';
import type { Clock } from '../converge/ports';
import type { UnmanagedWatch } from '../converge/unmanaged-sessions';

export interface GovernanceDeps {
  readonly inventory: InventoryPort;
  /** What the sweep needs to watch sessions it did not make. */
  readonly unmanaged: UnmanagedWatch;
  readonly history: HistoryReaderPort;
}

export function governanceDeps(config: Config, clients?: Pick<AwsClients, 'ec2' | 'documents'>, clock?: Clock): GovernanceDeps {
  const client = clients?.ec2 ?? ec2();
  const documents = clients?.documents ?? dynamoDocuments();
  const { tableName, historyTtlDays, ownerId } = config;
  const inventory = createInventory({ client, ownerId });
  return {
    inventory,
    unmanaged: {
      inventory,
      announcements: createAnnouncementLedger({ documents, tableName, historyTtlDays, ...(clock ? { clock } : {}) }),
    },
    history: createHistoryReader({ documents, tableName }),
  };
}
