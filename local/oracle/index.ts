/**
 * The test oracle: did a run leave the world correct? Judged from the outside, never by the product's own
 * planning: EC2's world against the invariants of a mirrored fleet (invariants.ts: every eligible ENI mirrored
 * once, nothing else touched, limits kept), and the ledger against EC2 (ledger-audit.ts: no reservation left
 * over, every session recorded once, target counts exact). Used by the sandbox, the benchmark, the chaos suite
 * and the reliability and integration tests.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SimulatorSnapshot } from '@vpc-mirror-orchestrator/ec2-sim';
import { checkInvariants, type InvariantOptions, type InvariantReport } from './invariants';
import { auditLedger, type LedgerProblem, scanTable } from './ledger-audit';

export * from './invariants';
export * from './ledger-audit';

export interface LedgerSource {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The ledger's problems against EC2's world as the snapshot shows it (the whole table is read). */
export async function ledgerProblems(ledger: LedgerSource, snapshot: SimulatorSnapshot): Promise<LedgerProblem[]> {
  return auditLedger(await scanTable(ledger.documents, ledger.tableName), snapshot);
}

export interface EndStateVerdict {
  readonly invariants: InvariantReport;
  readonly ledgerProblems: readonly LedgerProblem[];
  /** Every violation and ledger problem, one line each; empty when the run ended correct. */
  readonly problems: readonly string[];
}

/** Both halves of the oracle on one end state. */
export async function judgeEndState(
  snapshot: SimulatorSnapshot,
  ledger: LedgerSource,
  options: InvariantOptions,
): Promise<EndStateVerdict> {
  const invariants = checkInvariants(snapshot, options);
  const problems = await ledgerProblems(ledger, snapshot);
  return {
    invariants,
    ledgerProblems: problems,
    problems: [
      ...invariants.violations.map((violation) => `${violation.invariant}: ${violation.message}`),
      ...problems.map((problem) => `ledger: ${problem.subject}: ${problem.message}`),
    ],
  };
}
