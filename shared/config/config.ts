/**
 * Environment -> typed, validated configuration. Called at module load by every function, so a bad deployment
 * fails at cold start with a ConfigError whose message starts with the variable's name.
 * Blank values count as unset (Serverless params often resolve to ''): optional variables take their defaults,
 * required ones are reported missing.
 */
import * as z from 'zod/mini';
import { ConfigError } from '../domain/errors';
import { MAX_PACKET_LENGTH, MIN_PACKET_LENGTH } from '../domain/mirroring-limits';
import { MAX_SESSION_NUMBER, MIN_SESSION_NUMBER } from '../domain/session-number';
import type { EniScope, PlanSettings } from '../domain/types';

export interface Config extends PlanSettings {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly ownerId: string;
  readonly stopPolicy: 'detach' | 'keep';
  readonly historyTtlDays: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const TARGET_ID_PATTERN = /^tmt-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const FILTER_ID_PATTERN = /^tmf-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const INSTANCE_TYPE_OR_FAMILY_PATTERN = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)?$/;

const MAX_VNI = 16_777_215;
const MAX_HISTORY_TTL_DAYS = 3_650;

const quoted = (value: unknown): string => JSON.stringify(value);

type Schema<T> = z.ZodMiniType<T, string>;

function integer(min: number, max: number): Schema<number> {
  const inRange = z.string().check(
    z.refine((raw) => /^\d{1,9}$/.test(raw.trim()) && Number(raw) >= min && Number(raw) <= max, {
      error: (issue) => `must be an integer ${min}..${max}, got ${quoted(issue.input)}`,
    }),
  );
  return z.pipe(inRange, z.transform(Number));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T): Schema<T[number]> {
  const trimmed = z.pipe(
    z.string(),
    z.transform((raw) => raw.trim()),
  );
  return z.pipe(trimmed, z.enum(values, { error: (issue) => `must be one of ${values.join(' | ')}, got ${quoted(issue.input)}` }));
}

function text(what: string, maxLength: number, pattern?: RegExp): Schema<string> {
  return z
    .pipe(
      z.string(),
      z.transform((raw) => raw.trim()),
    )
    .check(
      z.refine((value) => value.length >= 1 && value.length <= maxLength && (pattern === undefined || pattern.test(value)), {
        error: (issue) => `must be ${what}, got ${quoted(issue.input)}`,
      }),
    );
}

function id(pattern: RegExp, what: string): Schema<string> {
  return text(`${what} (lowercase hex)`, 64, pattern);
}

/** Comma-separated, whitespace around items trimmed, empty items (a trailing comma) ignored, duplicates refused. */
function list(item: (value: string) => boolean, what: string, normalize: (value: string) => string = (v) => v) {
  const items = z.transform((raw: string) =>
    raw
      .split(',')
      .map((value) => normalize(value.trim()))
      .filter((value) => value !== ''),
  );
  return z.pipe(z.string(), items).check(
    z.check<string[]>((ctx) => {
      const bad = ctx.value.find((value) => !item(value));
      if (bad !== undefined) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${quoted(bad)} is not ${what}` });
        return;
      }
      const duplicate = ctx.value.find((value, index) => ctx.value.indexOf(value) !== index);
      if (duplicate !== undefined) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${quoted(duplicate)} is listed twice` });
      }
    }),
  );
}

function read<T>(env: Env, variable: string, schema: Schema<T>, fallback: () => T): T {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback();
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(variable, result.error.issues[0]?.message ?? `invalid value ${quoted(raw)}`);
  return result.data;
}

function required(variable: string, what: string): never {
  throw new ConfigError(variable, `is required (${what}) and is not set`);
}

const targetIdList = list((value) => TARGET_ID_PATTERN.test(value), 'a traffic mirror target id (tmt- + 8 or 17 lowercase hex)');
const filterIdList = list((value) => FILTER_ID_PATTERN.test(value), 'a traffic mirror filter id (tmf- + 8 or 17 lowercase hex)');
const typeList = list(
  (value) => INSTANCE_TYPE_OR_FAMILY_PATTERN.test(value),
  'an instance type or family (e.g. m5.large, m7i-flex)',
  (value) => value.toLowerCase(),
);
// AWS reserves the aws: prefix: an instance could never carry such a tag.
const tagKey = text('a tag key of 1..128 characters, not starting with aws:', 128, /^(?!aws:)/i);
const tagValue = text('a tag value of 1..256 characters', 256);
const filterId = id(FILTER_ID_PATTERN, 'a traffic mirror filter id (tmf- + 8 or 17 hex)');
const tableName = text('a DynamoDB table name (3..255 of A-Z a-z 0-9 _ . -)', 255, /^[A-Za-z0-9_.-]{3,255}$/);
/**
 * A bus name (1..256 of A-Z a-z 0-9 . _ - /) or a bus ARN: PutEvents takes either, and serverless.yml grants
 * PutEvents on exactly that bus (build/event-bus-arn.cjs holds the same two patterns).
 */
export const EVENT_BUS_PATTERN = /^(?:[/._A-Za-z0-9-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[/._A-Za-z0-9-]{1,256})$/;
const eventBusName = text(
  'an event bus name (A-Z a-z 0-9 . _ - /) or an event bus ARN (arn:<partition>:events:<region>:<account>:event-bus/<name>)',
  1600,
  EVENT_BUS_PATTERN,
);

/**
 * With MIRROR_ORGANIZATION_PARAMETER set, each Region's pool and filter come from the organization document
 * (shared/config/organization.ts, configForRegion): MIRROR_TARGET_IDS and MIRROR_FILTER_ID are then not required,
 * and this configuration's own pool and filter (empty when unset) are never used to converge.
 */
export function loadConfig(env: Env): Config {
  const organization = (env.MIRROR_ORGANIZATION_PARAMETER ?? '').trim() !== '';
  const poolTargetIds = read(env, 'MIRROR_TARGET_IDS', targetIdList, () =>
    organization ? [] : required('MIRROR_TARGET_IDS', 'comma-separated tmt- ids'),
  );
  if (poolTargetIds.length === 0 && !organization) {
    throw new ConfigError('MIRROR_TARGET_IDS', `must name at least one target, got ${quoted(env.MIRROR_TARGET_IDS)}`);
  }

  const config: Config = {
    tagKey: read(env, 'MIRROR_TAG_KEY', tagKey, () => 'traffic-mirror'),
    tagValue: read(env, 'MIRROR_TAG_VALUE', tagValue, () => 'true'),
    poolTargetIds,
    filterId: read(env, 'MIRROR_FILTER_ID', filterId, () => (organization ? '' : required('MIRROR_FILTER_ID', 'a tmf- id'))),
    tableName: read(env, 'LEDGER_TABLE_NAME', tableName, () => required('LEDGER_TABLE_NAME', 'the ledger table name')),
    eventBusName: read(env, 'EVENT_BUS_NAME', eventBusName, () => 'default'),
    ownerId: read(env, 'MIRROR_OWNER_ID', tagValue, () => 'vpc-mirror-orchestrator'),
    eniScope: read<EniScope>(env, 'MIRROR_ENI_SCOPE', oneOf(['all', 'primary']), () => 'all'),
    preferredSessionNumber: read(env, 'MIRROR_SESSION_NUMBER', integer(MIN_SESSION_NUMBER, MAX_SESSION_NUMBER), () => 1),
    virtualNetworkId: read<number | undefined>(env, 'MIRROR_VNI', integer(0, MAX_VNI), () => undefined),
    packetLength: read<number | undefined>(env, 'MIRROR_PACKET_LENGTH', integer(MIN_PACKET_LENGTH, MAX_PACKET_LENGTH), () => undefined),
    targetOverrideTagKey: read(env, 'MIRROR_TARGET_TAG_KEY', tagKey, () => 'traffic-mirror-target'),
    filterOverrideTagKey: read(env, 'MIRROR_FILTER_TAG_KEY', tagKey, () => 'traffic-mirror-filter'),
    untilTagKey: read(env, 'MIRROR_UNTIL_TAG_KEY', tagKey, () => 'traffic-mirror-until'),
    allowedOverrideTargetIds: read(env, 'MIRROR_ALLOWED_TARGET_IDS', targetIdList, () => []),
    allowedOverrideFilterIds: read(env, 'MIRROR_ALLOWED_FILTER_IDS', filterIdList, () => []),
    extraSupportedTypes: read(env, 'MIRROR_SUPPORTED_TYPES', typeList, () => []),
    extraUnsupportedTypes: read(env, 'MIRROR_UNSUPPORTED_TYPES', typeList, () => []),
    stopPolicy: read(env, 'MIRROR_STOP_POLICY', oneOf(['detach', 'keep']), () => 'detach' as const),
    historyTtlDays: read(env, 'HISTORY_TTL_DAYS', integer(1, MAX_HISTORY_TTL_DAYS), () => 90),
  };
  checkConsistency(config);
  return Object.freeze(config);
}

/** Rules between variables: each tag key has one meaning, and a type is either added as supported or not. */
function checkConsistency(config: Config): void {
  if (config.targetOverrideTagKey === config.tagKey) {
    throw new ConfigError('MIRROR_TARGET_TAG_KEY', `must differ from MIRROR_TAG_KEY, both are ${quoted(config.tagKey)}`);
  }
  if (config.filterOverrideTagKey === config.tagKey) {
    throw new ConfigError('MIRROR_FILTER_TAG_KEY', `must differ from MIRROR_TAG_KEY, both are ${quoted(config.tagKey)}`);
  }
  if (config.filterOverrideTagKey === config.targetOverrideTagKey) {
    const both = quoted(config.filterOverrideTagKey);
    throw new ConfigError('MIRROR_FILTER_TAG_KEY', `must differ from MIRROR_TARGET_TAG_KEY, both are ${both}`);
  }
  const otherKeys = [config.tagKey, config.targetOverrideTagKey, config.filterOverrideTagKey];
  if (config.untilTagKey !== undefined && otherKeys.includes(config.untilTagKey)) {
    throw new ConfigError('MIRROR_UNTIL_TAG_KEY', `must differ from the opt-in and override tag keys, got ${quoted(config.untilTagKey)}`);
  }
  const listedTwice = config.extraSupportedTypes.find((type) => config.extraUnsupportedTypes.includes(type));
  if (listedTwice !== undefined) {
    const message = `${quoted(listedTwice)} is also listed in MIRROR_SUPPORTED_TYPES; name it in one of them`;
    throw new ConfigError('MIRROR_UNSUPPORTED_TYPES', message);
  }
}

/** Every target the deployment may use: the pool and the ones an override tag may name. */
export function configuredTargetIds(config: Pick<Config, 'poolTargetIds' | 'allowedOverrideTargetIds'>): string[] {
  return [...new Set([...config.poolTargetIds, ...config.allowedOverrideTargetIds])];
}
