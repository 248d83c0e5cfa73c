/**
 * converge/sweep wired in-process by the functions' own wiring (shared/wiring/deps.ts) with clients pointed at
 * loopback (simulator + dynalite + an EventBridge endpoint), with a clock that may be shifted forward: "the sweep after the grace period" without waiting for it.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../shared/config/config';
import type { ConvergeDeps } from '../../shared/converge';
import type { SweepLedgerPort } from '../../shared/converge/sweep-ports';
import { defaultDeps } from '../../shared/wiring/deps';

export interface Endpoints {
  readonly ec2: string;
  /** The Region clients sign with: the simulator keeps one EC2 per Region, chosen by the signature's scope. */
  readonly region: string;
  readonly eventBridge: string;
  readonly tableName: string;
  readonly documents: DynamoDBDocumentClient;
}

export interface WiringOptions {
  readonly targetIds: readonly string[];
  readonly filterId: string;
  readonly env?: Record<string, string>;
  /** Added to the wall clock of every adapter (ms). */
  readonly clockOffsetMs?: number;
  /** SDK attempts for EC2 (1: a transient failure reaches converge). Default: the production client's 8. */
  readonly ec2MaxAttempts?: number;
}

export interface Wiring {
  readonly deps: ConvergeDeps;
  readonly sweepLedger: SweepLedgerPort;
  destroy(): void;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export function wire(endpoints: Endpoints, options: WiringOptions): Wiring {
  const config = loadConfig({
    MIRROR_TARGET_IDS: options.targetIds.join(','),
    MIRROR_FILTER_ID: options.filterId,
    LEDGER_TABLE_NAME: endpoints.tableName,
    ...options.env,
  });
  const offset = options.clockOffsetMs ?? 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const ec2 = new EC2Client({
    endpoint: endpoints.ec2,
    region: endpoints.region,
    credentials,
    retryMode: 'adaptive',
    maxAttempts: options.ec2MaxAttempts ?? 8,
  });
  const events = new EventBridgeClient({ endpoint: endpoints.eventBridge, region: endpoints.region, credentials });
  const deps = defaultDeps(config, {
    clients: { ec2, documents: endpoints.documents, eventBridge: events },
    clock,
    logger: new Logger({ serviceName: 'reliability-test', logLevel: (process.env.TEST_LOG_LEVEL ?? 'SILENT') as 'SILENT' }),
    metrics: null,
  });
  return {
    deps,
    sweepLedger: deps.sweepLedger,
    destroy() {
      ec2.destroy();
      events.destroy();
    },
  };
}

/** The endpoints of a TestCloud (tests/support/test-cloud.ts). */
export function endpointsOf(cloud: {
  sim: { url: string; region: string };
  bus: { endpoint: string };
  table: { tableName: string };
  documents: DynamoDBDocumentClient;
}): Endpoints {
  return {
    ec2: cloud.sim.url,
    region: cloud.sim.region,
    eventBridge: cloud.bus.endpoint,
    tableName: cloud.table.tableName,
    documents: cloud.documents,
  };
}
