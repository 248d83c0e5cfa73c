/**
 * Which accounts an organization document mirrors: the accounts it lists, and the ACTIVE accounts under its OUs
 * (child OUs included), minus its excluded accounts. OUs are resolved through AWS Organizations, whose request rate
 * is low: when a document names OUs not resolved yet (the first document, or one whose list of OUs changed), then at
 * most every RESOLUTION_INTERVAL_MS; another change of the document (accounts, exclusions, settings) needs no call.
 * An OU that fails to resolve (access denied, Organizations not in use, the OU gone, throttled) keeps its last good
 * accounts, or none when it never resolved, so the listed accounts and the other OUs still converge; the failure is
 * one error log line naming the OU and AWS's code, and the organizationalUnitUnresolved metric, never a failed
 * invocation. When the accounts found change, an info line `organizational units resolved` gives each OU's count.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { mirroredAccountsOf, type Organization } from '../config/organization';
import { GOVERNANCE_METRICS, recordScopedCount } from './governance-metrics';
import type { OrganizationTreePort } from './organization-ports';
import type { ConvergeDeps } from './ports';

export const RESOLUTION_INTERVAL_MS = 5 * 60_000;

export interface MirroredAccountsOptions {
  readonly tree: OrganizationTreePort;
  readonly clock: ConvergeDeps['clock'];
  readonly logger: ConvergeDeps['logger'];
  readonly metrics?: Metrics | undefined;
  readonly intervalMs?: number;
}

export interface MirroredAccounts {
  /** The document's mirrored accounts: listed, then under its OUs (as last resolved), minus excluded; each once. */
  of(document: Organization): Promise<readonly string[]>;
}

const unitsOf = (document: Organization): string => document.organizationalUnits.join();

export function mirroredAccounts(options: MirroredAccountsOptions): MirroredAccounts {
  const intervalMs = options.intervalMs ?? RESOLUTION_INTERVAL_MS;
  const now = () => options.clock.now().getTime();
  /** OU -> its accounts at its last successful resolution. */
  const lastGood = new Map<string, readonly string[]>();
  /** The OUs (as listed) of the last resolution, and when it ended. */
  let resolved: { readonly units: string; readonly at: number } | undefined;
  let lastSummary: string | undefined;
  // Concurrent invocations of one container share one resolution of a list of OUs.
  let resolving: { readonly units: string; readonly done: Promise<void> } | undefined;

  async function resolve(document: Organization): Promise<void> {
    // One OU after another: the organization's request rate is shared by everyone calling Organizations.
    for (const unitId of document.organizationalUnits) {
      try {
        lastGood.set(unitId, await options.tree.activeAccountsUnder(unitId));
      } catch (error) {
        const kept = lastGood.get(unitId);
        options.logger.error('organizational unit not resolved', {
          organizationalUnitId: unitId,
          keptAccounts: kept?.length ?? 0,
          kept: kept === undefined ? 'none (the listed accounts and other OUs only)' : 'the last resolved accounts',
          error: error as Error,
        });
        recordScopedCount(options.metrics, GOVERNANCE_METRICS.organizationalUnitUnresolved, { OrganizationalUnitId: unitId }, 1);
      }
    }
    resolved = { units: unitsOf(document), at: now() };
    const found = Object.fromEntries(document.organizationalUnits.map((unitId) => [unitId, lastGood.get(unitId)?.length ?? 0]));
    const summary = JSON.stringify(document.organizationalUnits.map((unitId) => lastGood.get(unitId) ?? []));
    // Said when the accounts change, not at every resolution: an operator needs to know when an account came or went.
    if (summary !== lastSummary) options.logger.info('organizational units resolved', { accountsByOrganizationalUnit: found });
    lastSummary = summary;
  }

  return {
    async of(document) {
      if (document.organizationalUnits.length === 0) return mirroredAccountsOf(document);
      const units = unitsOf(document);
      const due = resolved?.units !== units || now() - resolved.at >= intervalMs;
      if (due) {
        let current = resolving;
        if (current?.units !== units) {
          const done: Promise<void> = resolve(document).finally(() => {
            if (resolving?.done === done) resolving = undefined;
          });
          current = { units, done };
          resolving = current;
        }
        await current.done;
      }
      return mirroredAccountsOf(
        document,
        document.organizationalUnits.flatMap((unitId) => lastGood.get(unitId) ?? []),
      );
    },
  };
}
