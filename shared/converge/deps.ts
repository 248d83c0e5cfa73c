/** The production wiring of ConvergeDeps: the module-level SDK clients, the Powertools logger and metrics. */
import { loadConfig, type Config } from '../config/config';
import { dynamoDocuments, ec2, eventBridge } from '../aws/clients';
import { createEc2Adapter } from '../aws/ec2';
import { createLedger } from '../aws/ledger';
import { createPublisher } from '../aws/publisher';
import { countThrottles } from '../aws/throttle-counter';
import { logger, metrics } from '../observability';
import { GOVERNANCE_METRICS, recordCount } from '../observability/metric-names';
import type { ConvergeDeps } from './ports';

const systemClock = { now: () => new Date() };

/** Call once per container (module load): adapters keep per-container caches (instance types, targets). */
export function defaultDeps(config: Config = loadConfig(process.env)): ConvergeDeps {
  countThrottles(ec2(), () => recordCount(metrics, GOVERNANCE_METRICS.ec2Throttled, 1));
  return {
    ec2: createEc2Adapter({ client: ec2(), ownerId: config.ownerId, clock: systemClock }),
    ledger: createLedger({ documents: dynamoDocuments(), tableName: config.tableName, historyTtlDays: config.historyTtlDays, clock: systemClock }),
    publisher: createPublisher({ client: eventBridge(), eventBusName: config.eventBusName, ownerId: config.ownerId }),
    config,
    logger,
    metrics,
    clock: systemClock,
  };
}
