/**
 * The one place that builds the real dependencies: SDK clients, the EC2 adapter, the ledger (and the sweep's part
 * of it), the outcome publisher, the configuration, logger, metrics and clock. The functions call it at module load
 * with the container's clients; the CLI and the tests call it with their own clients, clock or logger, so that what
 * they run is wired exactly as a deployed function is.
 */
import { type AwsClients, dynamoDocuments, ec2, eventBridge } from '../aws/clients';
import { createEc2Adapter } from '../aws/ec2';
import { createLedger } from '../aws/ledger';
import { createSweepLedger } from '../aws/ledger/sweep';
import { createPublisher } from '../aws/publisher';
import { countThrottles } from '../aws/throttle-counter';
import { type Config, loadConfig } from '../config/config';
import { GOVERNANCE_METRICS, recordCount } from '../converge/governance-metrics';
import type { Clock, ConvergeDeps } from '../converge/ports';
import type { SweepLedgerPort } from '../converge/sweep-ports';
import { logger, metrics } from '../observability';

/** What a caller may supply instead of the container's own. */
export interface WiringOverrides {
  /** Default: the container's clients (shared/aws/clients.ts), endpoints from AWS_ENDPOINT_URL_<SERVICE>. */
  readonly clients?: AwsClients;
  readonly clock?: Clock;
  readonly logger?: ConvergeDeps['logger'];
  /** undefined: no metrics (the CLI). Default: the container's. */
  readonly metrics?: ConvergeDeps['metrics'] | null;
  /** Organization: the (account, Region) key prefix of the ledger (shared/aws/ledger/keys.ts). Default: home. */
  readonly keyScope?: string;
  /** Organization: every scope's key prefix, for the sweep's target audit (a shared target serves every account). */
  readonly auditKeyScopes?: readonly string[];
  /** Organization: the account the EC2 client acts in (its sessions only are ours there). Default: not checked. */
  readonly accountId?: string;
}

export interface RealDeps extends ConvergeDeps {
  /** The sweep's own ledger items (cursor, target audit). */
  readonly sweepLedger: SweepLedgerPort;
}

const systemClock: Clock = { now: () => new Date() };

/** Call once per container (module load): adapters keep per-container caches (instance types, targets). */
export function defaultDeps(config: Config = loadConfig(process.env), overrides: WiringOverrides = {}): RealDeps {
  const clients = overrides.clients ?? { ec2: ec2(), documents: dynamoDocuments(), eventBridge: eventBridge() };
  const clock = overrides.clock ?? systemClock;
  const { tableName, historyTtlDays, ownerId, eventBusName } = config;
  const metricsPort = overrides.metrics === null ? undefined : (overrides.metrics ?? metrics);
  // The SDK retries throttles quietly: each attempt EC2 throttled is counted for the dashboard.
  if (metricsPort !== undefined) countThrottles(clients.ec2, () => recordCount(metricsPort, GOVERNANCE_METRICS.ec2Throttled, 1));
  return {
    ec2: createEc2Adapter({ client: clients.ec2, ownerId, clock, ...(overrides.accountId ? { accountId: overrides.accountId } : {}) }),
    ledger: createLedger({ documents: clients.documents, tableName, historyTtlDays, clock, keyScope: overrides.keyScope }),
    sweepLedger: createSweepLedger({
      documents: clients.documents,
      tableName,
      clock,
      keyScope: overrides.keyScope,
      ...(overrides.auditKeyScopes ? { auditKeyScopes: overrides.auditKeyScopes } : {}),
    }),
    publisher: createPublisher({ client: clients.eventBridge, eventBusName, ownerId }),
    config,
    logger: overrides.logger ?? logger,
    metrics: metricsPort,
    clock,
  };
}
