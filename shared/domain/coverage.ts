/**
 * Coverage: of the ENIs that should be mirrored (tagged, running, supported instance; an ENI that can be a
 * source), how many are. Computed from decision records, so the sweep publishes what it actually decided.
 */
import type { RecordReason } from './types';

/** The fields of a decision record coverage needs. */
export interface CoverageRecord {
  readonly action: string;
  readonly eniId?: string;
  readonly reason: RecordReason;
}

/** Reasons an eligible ENI is left unmirrored: limits, EC2's refusals, failures. Other reasons mean "not eligible". */
const ELIGIBLE_BUT_UNMIRRORED: ReadonlySet<RecordReason> = new Set<RecordReason>([
  'interface-session-limit',
  'target-pool-full',
  'account-session-limit',
  'invalid-parameter',
  'not-authorized',
  'ec2-refused',
  'network-interface-not-supported',
  'transient-failure',
  'permanent-failure',
]);

/** An ENI that should be mirrored but is not, when a decision about it carries this reason. */
export function isEligibleButUnmirrored(reason: RecordReason): boolean {
  return ELIGIBLE_BUT_UNMIRRORED.has(reason);
}

export interface Coverage {
  readonly eligibleEnis: number;
  readonly mirroredEnis: number;
  /** 100 when nothing is eligible: nothing is missing. */
  readonly percent: number;
}

export function coverageOf(records: readonly CoverageRecord[]): Coverage {
  const mirrored = new Set<string>();
  const missing = new Set<string>();
  for (const record of records) {
    if (record.eniId === undefined) continue;
    if (record.action === 'keep' || record.action === 'attach') mirrored.add(record.eniId);
    else if ((record.action === 'refuse' || record.action === 'fail') && ELIGIBLE_BUT_UNMIRRORED.has(record.reason))
      missing.add(record.eniId);
  }
  for (const eniId of mirrored) missing.delete(eniId);
  const eligibleEnis = mirrored.size + missing.size;
  return {
    eligibleEnis,
    mirroredEnis: mirrored.size,
    percent: eligibleEnis === 0 ? 100 : Math.round((mirrored.size / eligibleEnis) * 1000) / 10,
  };
}
