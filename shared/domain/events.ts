/**
 * Trigger events -> the instance ids to converge. Events are hints: this reads which instances they name and
 * nothing else (state and tags are re-read from EC2). Anything malformed becomes an InvalidEventError carrying the
 * event id when one can be read; no other error ever leaves parseTrigger.
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { InvalidEventError } from './errors';

// zod/mini loads no locale; English is what `zod` itself configures, so issue messages stay the same words.
z.config(en());

export type TriggerKind = 'state-change' | 'tag-change' | 'cloudtrail-tags' | 'cloudtrail-attach' | 'schedule' | 'converge-request';

/** Our own event asking to converge one part of a trigger too large for one invocation (shared/lambda/split.ts). */
export const CONVERGE_REQUEST_SOURCE = 'vpc-mirror-orchestrator';
export const CONVERGE_REQUEST_DETAIL_TYPE = 'Converge Instances Requested';

/** The states a state-change event can claim: `running`, or one on the way out of it. */
export const CLAIMED_STATES = ['running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export type ClaimedState = (typeof CLAIMED_STATES)[number];

/**
 * What an event says about its instances that a read must show too: its state (`running`, or one past it: a
 * read still showing `pending` or `running` is behind a stop), or the values of our tag keys after a tag change
 * (null: the key was removed). A read that does not show it yet is behind the event (EC2's Describe is eventually
 * consistent), not a sign that nothing is to be done.
 */
export interface EventClaims {
  readonly state?: ClaimedState;
  readonly tags?: Readonly<Record<string, string | null>>;
}

export interface Trigger {
  readonly eventId: string;
  readonly kind: TriggerKind;
  readonly instanceIds: readonly string[];
  /** The same for every instance the event names; absent when the event claims nothing a read could lag behind. */
  readonly claims?: EventClaims;
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
  // The resource's tags after the change (absent in events older than the field).
  tags: z.optional(z.record(z.string(), z.string())),
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
  tagSet: z.optional(
    z.object({ items: z.array(z.object({ key: tagKey, value: z.optional(z.string()) })).check(z.maxLength(MAX_EVENT_RESOURCES)) }),
  ),
});

/** AttachNetworkInterface's parameters as CloudTrail records them (the instance is named: no lookup needed). */
const attachCallParameters = z.object({ networkInterfaceId: shortString, instanceId });

const claimsSchema = z.object({
  state: z.optional(z.enum(CLAIMED_STATES)),
  tags: z.optional(z.record(tagKey, z.nullable(z.string().check(z.maxLength(256))))),
});

const convergeRequestDetail = z.object({
  parentEventId: shortString,
  part: z.number().check(z.int(), z.minimum(1)),
  parts: z.number().check(z.int(), z.minimum(1)),
  instanceIds: z.array(instanceId).check(z.minLength(1), z.maxLength(MAX_EVENT_RESOURCES)),
  claims: z.optional(claimsSchema),
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
    const state = CLAIMED_STATES.find((claimed) => claimed === detail.state);
    const claims: EventClaims | undefined = state !== undefined ? { state } : undefined;
    return { eventId: base.id, kind: 'state-change', instanceIds: [detail['instance-id']], ...(claims ? { claims } : {}) };
  }
  if (detailType === 'Tag Change on Resource' && base.source === 'aws.tag') return parseTagChange(base, options);
  if (detailType === 'AWS API Call via CloudTrail' && base.source === 'aws.ec2') return parseCloudTrail(base, options);
  if (detailType === CONVERGE_REQUEST_DETAIL_TYPE && base.source === CONVERGE_REQUEST_SOURCE) {
    const detail = validate(convergeRequestDetail, base.detail, base.id, 'detail');
    return {
      // Decisions name the event that asked for the change, and which part of it this was.
      eventId: `${detail.parentEventId}#part-${detail.part}-of-${detail.parts}`,
      kind: 'converge-request',
      instanceIds: unique(detail.instanceIds),
      ...(detail.claims ? { claims: detail.claims } : {}),
    };
  }
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
  const after = detail.tags;
  const claims: EventClaims | undefined =
    after === undefined ? undefined : { tags: claimedTags(detail['changed-tag-keys'], options, (key) => after[key] ?? null) };
  return { eventId: base.id, kind: 'tag-change', instanceIds: unique(instanceIds), ...(claims ? { claims } : {}) };
}

/** The EC2 calls whose CloudTrail records the CloudTrail rule sends (serverless.yml, CloudtrailTagsRule). */
export const CLOUDTRAIL_CALLS: readonly string[] = ['CreateTags', 'DeleteTags', 'AttachNetworkInterface'];

function parseCloudTrail(base: Envelope, options: ParseOptions): Trigger {
  const detail = validate(cloudTrailDetail, base.detail, base.id, 'detail');
  const ignored = (reason: string): Trigger => ({
    eventId: base.id,
    kind: 'cloudtrail-tags',
    instanceIds: [],
    ignoredReason: reason,
  });
  if (!CLOUDTRAIL_CALLS.includes(detail.eventName)) {
    return ignored(`API call ${detail.eventName} is not one of ${CLOUDTRAIL_CALLS.join(', ')}`);
  }
  if (detail.errorCode !== undefined) return ignored(`${detail.eventName} failed with ${detail.errorCode}: nothing changed`);
  if (detail.eventName === 'AttachNetworkInterface') {
    // An interface attached to a running instance sends no state change and no tag change: without this call's
    // record it would wait for the sweep. The instance is converged like any other (its tag decides).
    const parameters = validate(attachCallParameters, base.detail.requestParameters, base.id, 'detail.requestParameters');
    return { eventId: base.id, kind: 'cloudtrail-attach', instanceIds: [parameters.instanceId] };
  }
  const parameters = validate(tagsCallParameters, base.detail.requestParameters, base.id, 'detail.requestParameters');
  if (
    parameters.tagSet !== undefined &&
    !touchesOurKeys(
      parameters.tagSet.items.map((tag) => tag.key),
      options,
    )
  ) {
    return ignored(`${detail.eventName} does not touch ${relevantKeys(options).join(', ')}`);
  }
  const instanceIds = parameters.resourcesSet.items.map((item) => item.resourceId).filter((resourceId) => resourceId.startsWith('i-'));
  const malformed = instanceIds.find((resourceId) => !INSTANCE_ID_PATTERN.test(resourceId));
  if (malformed !== undefined) {
    const where = 'detail.requestParameters.resourcesSet';
    throw new InvalidEventError(base.id, `${where}: ${quoted(malformed)} is not an instance id`);
  }
  if (instanceIds.length === 0) return ignored(`${detail.eventName} tagged no instance`);
  return {
    eventId: base.id,
    kind: 'cloudtrail-tags',
    instanceIds: unique(instanceIds),
    ...cloudTrailClaims(detail.eventName, parameters.tagSet, options),
  };
}

/** CreateTags sets each key to its value; DeleteTags removes a key given without a value (with one: only if equal). */
function cloudTrailClaims(
  eventName: string,
  tagSet: { items: { key: string; value?: string | undefined }[] } | undefined,
  options: ParseOptions,
): { claims?: EventClaims } {
  if (tagSet === undefined) return {};
  const relevant = new Set(relevantKeys(options));
  const items = tagSet.items.filter((item) => relevant.has(item.key) && (eventName === 'CreateTags' || item.value === undefined));
  if (items.length === 0) return {};
  const tags: Record<string, string | null> = {};
  for (const item of items) tags[item.key] = eventName === 'CreateTags' ? (item.value ?? '') : null;
  return { claims: { tags } };
}

function claimedTags(
  keys: readonly string[],
  options: ParseOptions,
  tagValueOf: (key: string) => string | null,
): Record<string, string | null> {
  const relevant = new Set(relevantKeys(options));
  return Object.fromEntries(keys.filter((key) => relevant.has(key)).map((key) => [key, tagValueOf(key)]));
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
