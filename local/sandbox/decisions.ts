/**
 * Turns the handlers' Powertools JSON log lines (what CloudWatch Logs would hold) back into decisions: one record
 * per attach / detach / keep / skip / refuse line. Lines that are not decisions (cold start notes, summaries) are
 * kept aside as plain log entries so that warnings and errors are still shown.
 */

/** detect: a session not made by the orchestrator, to a target nobody configured (announced, never touched). */
export const DECISION_ACTIONS = ['attach', 'detach', 'keep', 'skip', 'refuse', 'fail', 'detect'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

export interface DecisionRecord {
  /** ISO time from the log line. */
  readonly time: string;
  /** The Lambda function that logged it (Powertools `function_name`, else the runtime's name for it). */
  readonly functionName: string;
  readonly instanceId: string;
  readonly eniId?: string;
  readonly action: DecisionAction;
  readonly reason: string;
  readonly sessionId?: string;
  readonly targetId?: string;
  readonly sessionNumber?: number;
  readonly detail?: string;
  readonly triggerEventId?: string;
  /** Set when the decision was planned but applying it failed (the line's level is WARN or ERROR). */
  readonly level: string;
}

export interface OtherLogEntry {
  readonly time: string;
  readonly functionName: string;
  readonly level: string;
  readonly message: string;
  /** What a reader needs next to the message: event id, reason, error (`eventId=... reason=...`), when present. */
  readonly context?: string;
}

export type ParsedLogLine =
  | { readonly kind: 'decision'; readonly decision: DecisionRecord }
  | { readonly kind: 'other'; readonly entry: OtherLogEntry }
  | { readonly kind: 'not-json'; readonly text: string };

type Json = Record<string, unknown>;

/** `fallbackFunctionName` names the function when the line itself does not (no Lambda context injected). */
export function parseLogLine(line: string, fallbackFunctionName = '?'): ParsedLogLine {
  const text = line.trim();
  let parsed: unknown;
  try {
    parsed = text.startsWith('{') ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) return { kind: 'not-json', text };
  const record: Json = parsed;
  const time = str(record.timestamp) ?? str(record.time) ?? new Date().toISOString();
  const functionName = str(record.function_name) ?? str(record.functionName) ?? fallbackFunctionName;
  const level = (str(record.level) ?? 'INFO').toUpperCase();
  // Decision fields may sit at the top level (Powertools persistent/extra keys) or under a `decision` key.
  const fields: Json = isObject(record.decision) ? { ...record, ...record.decision } : record;
  const action = str(fields.action);
  const instanceId = str(fields.instanceId) ?? str(fields.instance_id);
  if (action && isDecisionAction(action) && instanceId) {
    const decision: DecisionRecord = {
      time,
      functionName,
      instanceId,
      action,
      reason: str(fields.reason) ?? '',
      level,
      ...optional('eniId', str(fields.eniId) ?? str(fields.eni_id)),
      ...optional('sessionId', str(fields.sessionId) ?? str(fields.session_id)),
      ...optional('targetId', str(fields.targetId) ?? str(fields.target_id)),
      ...optional('sessionNumber', num(fields.sessionNumber) ?? num(fields.session_number)),
      ...optional('detail', str(fields.detail)),
      ...optional('triggerEventId', str(fields.triggerEventId) ?? str(fields.trigger_event_id)),
    };
    return { kind: 'decision', decision };
  }
  const error = isObject(record.error) ? record.error : undefined;
  const context = [
    // The hub serves several accounts and Regions: a line about one of them names it.
    ['accountId', str(record.accountId)],
    ['region', str(record.region)],
    ['eventId', str(record.eventId)],
    ['messageId', str(record.messageId)],
    ['reason', str(record.reason)],
    ['error', error ? [str(error.name), str(error.message)].filter(Boolean).join(': ') : undefined],
  ]
    .filter(([, value]) => value)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return {
    kind: 'other',
    entry: { time, functionName, level, message: str(record.message) ?? text, ...(context ? { context } : {}) },
  };
}

function isDecisionAction(action: string): action is DecisionAction {
  return (DECISION_ACTIONS as readonly string[]).includes(action);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
