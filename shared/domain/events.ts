/**
 * Trigger events -> the instance ids to converge. Events are hints: this reads which instances they name and
 * nothing else (state and tags are re-read from EC2). Anything malformed becomes an InvalidEventError carrying the
 * event id when one can be read; no other error ever leaves parseTrigger.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { InvalidEventError } from './errors';

// zod/mini loads no locale; English is what `zod` itself configures, so issue messages stay the same words.
z.config(en());

export type TriggerKind = 'state-change' | 'tag-change' | 'cloudtrail-tags' | 'schedule';

export interface Trigger {
  readonly eventId: string;
  readonly kind: TriggerKind;
  readonly instanceIds: readonly string[];
  /** Set when the event is understood but concerns nothing we manage (instanceIds is then empty). */
  readonly ignoredReason?: string;
  /** The event's `time` (when EC2 saw the change), for the event-to-session latency metric. */
  readonly eventTime?: string;
}

export interface ParseOptions {
  /** The opt-in tag key: tag events that do not touch it (nor an override key) are ignored. */
  readonly tagKey: string;
  /** The per-instance override tag keys, which also make a tag event relevant. */
  readonly overrideTagKeys?: readonly string[];
}

export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** More resources than any real tagging call names; a bound so that a hostile event cannot make us do much work. */
export const MAX_EVENT_RESOURCES = 1000;

const INSTANCE_ARN_PATTERN = /^arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d{12}:instance\/(i-[0-9a-f]+)$/;

const instanceId = z.string().check(z.regex(INSTANCE_ID_PATTERN, { error: 'is not an instance id (i- + 8 or 17 lowercase hex)' }));
const shortString = z.string().check(z.minLength(1), z.maxLength(256));
const tagKey = z.string().check(z.maxLength(128));

const envelope = z.object({
  id: shortString,
  'detail-type': shortString,
  source: shortString,
  resources: z.optional(z.array(z.string().check(z.maxLength(2048))).check(z.maxLength(MAX_EVENT_RESOURCES))),
  detail: z.record(z.string(), z.unknown()),
});
type Envelope = z.infer<typeof envelope>;

const stateChangeDetail = z.object({
  'instance-id': instanceId,
  state: z.enum(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']),
});

const tagChangeDetail = z.object({
  service: shortString,
  'resource-type': shortString,
  'changed-tag-keys': z.array(tagKey).check(z.maxLength(MAX_EVENT_RESOURCES)),
});

const cloudTrailDetail = z.object({
  eventName: shortString,
  errorCode: z.optional(z.string()),
});

const tagsCallParameters = z.object({
  resourcesSet: z.object({
    items: z
      .array(z.object({ resourceId: z.string().check(z.minLength(1), z.maxLength(256)) }))
      .check(z.minLength(1), z.maxLength(MAX_EVENT_RESOURCES)),
  }),
  // DeleteTags without a tag set deletes every tag of the resources.
  tagSet: z.optional(z.object({ items: z.array(z.object({ key: tagKey })).check(z.maxLength(MAX_EVENT_RESOURCES)) })),
});

export function parseTrigger(event: unknown, options: ParseOptions): Trigger {
  const eventId = readEventId(event);
  try {
    return parseEnvelope(event, eventId, options);
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    // Unreachable for JSON input; kept so that the contract (only InvalidEventError) holds for any value.
    throw new InvalidEventError(eventId, `event could not be read: ${String(error)}`, { cause: error });
  }
}

/** The event's `time` when it is an ISO-8601 time; a missing or odd one only costs the latency metric. */
export function readEventTime(event: unknown): string | undefined {
  const result = z.object({ time: z.iso.datetime() }).safeParse(event);
  return result.success ? result.data.time : undefined;
}

function readEventId(event: unknown): string | undefined {
  const result = z.object({ id: shortString }).safeParse(event);
  return result.success ? result.data.id : undefined;
}

function parseEnvelope(event: unknown, eventId: string | undefined, options: ParseOptions): Trigger {
  const base = validate(envelope, event, eventId, 'event');
  const detailType = base['detail-type'];
  if (detailType === 'EC2 Instance State-change Notification' && base.source === 'aws.ec2') {
    const detail = validate(stateChangeDetail, base.detail, base.id, 'detail');
    return { eventId: base.id, kind: 'state-change', instanceIds: [detail['instance-id']] };
  }
  if (detailType === 'Tag Change on Resource' && base.source === 'aws.tag') return parseTagChange(base, options);
  if (detailType === 'AWS API Call via CloudTrail' && base.source === 'aws.ec2') return parseCloudTrail(base, options);
  if (detailType === 'Scheduled Event' && base.source === 'aws.events') {
    return { eventId: base.id, kind: 'schedule', instanceIds: [] };
  }
  const what = `detail-type ${quoted(detailType)} from source ${quoted(base.source)}`;
  throw new InvalidEventError(base.id, `unsupported event: ${what}`);
}

function parseTagChange(base: Envelope, options: ParseOptions): Trigger {
  const detail = validate(tagChangeDetail, base.detail, base.id, 'detail');
  const ignored = (reason: string): Trigger => ({ eventId: base.id, kind: 'tag-change', instanceIds: [], ignoredReason: reason });
  if (detail.service !== 'ec2' || detail['resource-type'] !== 'instance') {
    return ignored(`tag change on ${detail.service} ${detail['resource-type']}, not on an EC2 instance`);
  }
  if (!touchesOurKeys(detail['changed-tag-keys'], options)) {
    const changed = detail['changed-tag-keys'].join(', ');
    return ignored(`changed tag keys (${changed}) do not include ${relevantKeys(options).join(', ')}`);
  }
  const instanceIds = (base.resources ?? []).map((arn, index) => {
    const match = INSTANCE_ARN_PATTERN.exec(arn)?.[1];
    if (match === undefined || !INSTANCE_ID_PATTERN.test(match)) {
      throw new InvalidEventError(base.id, `resources.${index}: ${quoted(arn)} is not an EC2 instance ARN`);
    }
    return match;
  });
  if (instanceIds.length === 0) throw new InvalidEventError(base.id, 'resources: an instance tag change names no instance ARN');
  return { eventId: base.id, kind: 'tag-change', instanceIds: unique(instanceIds) };
}

function parseCloudTrail(base: Envelope, options: ParseOptions): Trigger {
  const detail = validate(cloudTrailDetail, base.detail, base.id, 'detail');
  const ignored = (reason: string): Trigger => ({
    eventId: base.id,
    kind: 'cloudtrail-tags',
    instanceIds: [],
    ignoredReason: reason,
  });
  if (detail.eventName !== 'CreateTags' && detail.eventName !== 'DeleteTags') {
    return ignored(`API call ${detail.eventName} is not CreateTags or DeleteTags`);
  }
  if (detail.errorCode !== undefined) return ignored(`${detail.eventName} failed with ${detail.errorCode}: nothing changed`);
  const parameters = validate(tagsCallParameters, base.detail.requestParameters, base.id, 'detail.requestParameters');
  if (parameters.tagSet !== undefined && !touchesOurKeys(parameters.tagSet.items.map((tag) => tag.key), options)) {
    return ignored(`${detail.eventName} does not touch ${relevantKeys(options).join(', ')}`);
  }
  const instanceIds = parameters.resourcesSet.items
    .map((item) => item.resourceId)
    .filter((resourceId) => resourceId.startsWith('i-'));
  const malformed = instanceIds.find((resourceId) => !INSTANCE_ID_PATTERN.test(resourceId));
  if (malformed !== undefined) {
    const where = 'detail.requestParameters.resourcesSet';
    throw new InvalidEventError(base.id, `${where}: ${quoted(malformed)} is not an instance id`);
  }
  if (instanceIds.length === 0) return ignored(`${detail.eventName} tagged no instance`);
  return { eventId: base.id, kind: 'cloudtrail-tags', instanceIds: unique(instanceIds) };
}

function relevantKeys(options: ParseOptions): string[] {
  return [options.tagKey, ...(options.overrideTagKeys ?? [])];
}

function touchesOurKeys(keys: readonly string[], options: ParseOptions): boolean {
  const relevant = new Set(relevantKeys(options));
  return keys.some((key) => relevant.has(key));
}

function validate<T>(schema: z.ZodMiniType<T>, value: unknown, eventId: string | undefined, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
  throw new InvalidEventError(eventId, `malformed event: ${problems}`);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function quoted(value: string): string {
  return JSON.stringify(value.slice(0, 200));
}
