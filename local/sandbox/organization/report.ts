/**
 * Per account of the organization, at the end: how many of its ENIs the hub mirrored in each Region and, for the
 * account whose spoke role is missing, whether the hub reported it (a decision, log line or outcome event naming a
 * denied spoke) and left it untouched. Judged from EC2's worlds and what the hub said, not from the hub's plans.
 */
import type { EventEnvelope } from '@vpc-mirror-orchestrator/local-lambda';
import { OWNER_TAG } from '../../../shared/aws/ownership';
import type { MirrorWorld } from '../../oracle';
import type { DecisionRecord, OtherLogEntry } from '../decisions';
import type { LaunchedInstance } from '../summary';
import type { OrganizationScenario } from './scenario';

export interface AccountReport {
  readonly accountId: string;
  readonly label: string;
  readonly role: 'security' | 'member';
  readonly hasSpokeRole: boolean;
  /** Per Region: ENIs of the account's instances, and those holding one of the hub's sessions. */
  readonly regions: readonly { readonly region: string; readonly enis: number; readonly mirrored: number }[];
  /** For an account without a spoke role: what the hub said about it (empty when it said nothing). */
  readonly denialReports: readonly string[];
  /** With a spoke role: always (the invariants judge it); without: reported, and nothing of ours made there. */
  readonly ok: boolean;
}

export interface AccountReportInput {
  readonly scenario: OrganizationScenario;
  readonly world: MirrorWorld;
  readonly launched: readonly (LaunchedInstance & { readonly eniIds: readonly string[] })[];
  readonly decisions: readonly DecisionRecord[];
  readonly logEntries: readonly OtherLogEntry[];
  readonly outcomes: readonly EventEnvelope[];
}

/** What a report of a denied spoke looks like: the reason the hub gives, or STS's and EC2's own refusals. */
const DENIED = /spoke|AccessDenied|access-denied|UnauthorizedOperation/i;

export function reportAccounts(input: AccountReportInput): AccountReport[] {
  const managedEnis = new Set(
    input.world.sessions.filter((session) => session.tags[OWNER_TAG] !== undefined).map((session) => session.eniId),
  );
  return input.scenario.accounts.map((account) => {
    const specs = input.scenario.fleet.filter((spec) => spec.accountId === account.accountId);
    const launched = input.launched.filter((instance) => specs.some((spec) => spec.name === instance.name));
    const regions = input.scenario.regions.map((region) => {
      const enis = launched
        .filter((instance) => specs.find((spec) => spec.name === instance.name)?.region === region)
        .flatMap((instance) => instance.eniIds);
      return { region, enis: enis.length, mirrored: enis.filter((eniId) => managedEnis.has(eniId)).length };
    });
    const instanceIds = new Set(launched.map((instance) => instance.instanceId));
    const denialReports = account.hasSpokeRole ? [] : denialsOf(account.accountId, instanceIds, input);
    const untouched = regions.every((region) => region.mirrored === 0);
    return {
      accountId: account.accountId,
      label: account.label,
      role: account.role,
      hasSpokeRole: account.hasSpokeRole,
      regions,
      denialReports,
      ok: account.hasSpokeRole || (denialReports.length > 0 && untouched),
    };
  });
}

function denialsOf(accountId: string, instanceIds: ReadonlySet<string>, input: AccountReportInput): string[] {
  const fromDecisions = input.decisions
    .filter((decision) => instanceIds.has(decision.instanceId) && DENIED.test(`${decision.reason} ${decision.detail ?? ''}`))
    .map((decision) => `${decision.functionName}: ${decision.action} ${decision.instanceId} ${decision.reason}`);
  // WARN and ERROR lines only: the metric lines (EMF, INFO) name the account too.
  const fromLog = input.logEntries
    .filter((entry) => entry.level === 'WARN' || entry.level === 'ERROR')
    .filter(
      (entry) => `${entry.message} ${entry.context ?? ''}`.includes(accountId) && DENIED.test(`${entry.message} ${entry.context ?? ''}`),
    )
    .map((entry) => `${entry.functionName}: ${entry.level} ${entry.message} ${entry.context ?? ''}`.trim());
  const fromOutcomes = input.outcomes
    .filter((event) => {
      const detail = event.detail as Record<string, unknown> | undefined;
      const named = detail?.accountId === accountId || (typeof detail?.instanceId === 'string' && instanceIds.has(detail.instanceId));
      return named && DENIED.test(String(detail?.reason ?? ''));
    })
    .map((event) => `outcome ${event['detail-type']}: ${String((event.detail as Record<string, unknown>).reason)}`);
  return [...new Set([...fromDecisions, ...fromLog, ...fromOutcomes])];
}
