import fc from 'fast-check';
import { InvalidEventError } from '../../shared/domain/errors';
import { INSTANCE_ID_PATTERN, parseTrigger, type Trigger } from '../../shared/domain/events';
import { loadEventFixture } from './support/fixtures';

const options = { tagKey: 'traffic-mirror', overrideTagKeys: ['traffic-mirror-target'] };
const FIXTURES = [
  'state-change-running',
  'state-change-stopped',
  'state-change-terminated',
  'tag-change-added',
  'tag-change-removed',
  'cloudtrail-create-tags',
].map(loadEventFixture);
const RUNS = { numRuns: 300 };

const instanceIdArb = fc.stringMatching(/^i-[0-9a-f]{8}([0-9a-f]{9})?$/);
const eventIdArb = fc.uuid();

/** parseTrigger either answers a well-formed trigger or throws InvalidEventError: nothing else, ever. */
function parseOrInvalid(event: unknown): Trigger | InvalidEventError {
  try {
    return parseTrigger(event, options);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw new Error(`parseTrigger threw something other than InvalidEventError: ${String(error)}`);
  }
}

function expectWellFormed(outcome: Trigger | InvalidEventError): void {
  if (outcome instanceof InvalidEventError) {
    expect(outcome.message.length).toBeGreaterThan(0);
    return;
  }
  expect(typeof outcome.eventId).toBe('string');
  for (const instanceId of outcome.instanceIds) expect(instanceId).toMatch(INSTANCE_ID_PATTERN);
  if (outcome.ignoredReason !== undefined) expect(outcome.instanceIds).toEqual([]);
}

/** A copy of `value` with the node at a random path replaced. */
function replaceAt(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const index = head % entries.length;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  const key = entries[index]?.[0] ?? '';
  (copy as Record<string, unknown>)[key] = replaceAt(entries[index]?.[1], rest, replacement);
  return copy;
}

describe('parseTrigger (properties)', () => {
  it('answers any JSON value with a trigger or an InvalidEventError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectWellFormed(parseOrInvalid(value))),
      RUNS,
    );
  });

  it('answers any JavaScript value, prototype tricks included, with a trigger or an InvalidEventError', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true, withSet: true }), (value) =>
        expectWellFormed(parseOrInvalid(value)),
      ),
      RUNS,
    );
  });

  it('answers a real event with any part replaced by any JSON with a trigger or an InvalidEventError carrying its id', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), fc.array(fc.nat(), { maxLength: 5 }), fc.jsonValue(), (fixture, path, replacement) => {
        const mutated = replaceAt(fixture, path, replacement);

        const outcome = parseOrInvalid(mutated);

        expectWellFormed(outcome);
        const readableId = typeof mutated === 'object' && mutated !== null ? (mutated as { id?: unknown }).id : undefined;
        if (outcome instanceof InvalidEventError && typeof readableId === 'string' && readableId.length >= 1 && readableId.length <= 256) {
          expect(outcome.eventId).toBe(readableId);
        }
      }),
      RUNS,
    );
  });

  it('round-trips the event and instance id of any state change', () => {
    fc.assert(
      fc.property(
        eventIdArb,
        instanceIdArb,
        fc.constantFrom('pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'),
        (eventId, instanceId, state) => {
          const event = { ...FIXTURES[0], id: eventId, detail: { 'instance-id': instanceId, state } };

          expect(parseTrigger(event, options)).toMatchObject({ eventId, kind: 'state-change', instanceIds: [instanceId] });
        },
      ),
      RUNS,
    );
  });

  it('round-trips the instance ids of any relevant tag change', () => {
    fc.assert(
      fc.property(eventIdArb, fc.uniqueArray(instanceIdArb, { minLength: 1, maxLength: 5 }), (eventId, instanceIds) => {
        const event = {
          ...FIXTURES[3],
          id: eventId,
          resources: instanceIds.map((instanceId) => `arn:aws:ec2:eu-west-1:111122223333:instance/${instanceId}`),
        };

        expect(parseTrigger(event, options)).toMatchObject({ eventId, kind: 'tag-change', instanceIds });
      }),
      RUNS,
    );
  });

  it('round-trips the instance ids of any CreateTags or DeleteTags call, other resources left out', () => {
    const resourceArb = fc.oneof(
      instanceIdArb.map((id) => ({ id, instance: true })),
      fc.stringMatching(/^(vol|sg|eni|subnet)-[0-9a-f]{17}$/).map((id) => ({ id, instance: false })),
    );
    fc.assert(
      fc.property(
        eventIdArb,
        fc.constantFrom('CreateTags', 'DeleteTags'),
        fc.uniqueArray(resourceArb, { minLength: 1, maxLength: 8, selector: (resource) => resource.id }),
        (eventId, eventName, resources) => {
          const base = FIXTURES[5] as { detail: Record<string, unknown> };
          const event = {
            ...base,
            id: eventId,
            detail: {
              ...base.detail,
              eventName,
              requestParameters: {
                resourcesSet: { items: resources.map((resource) => ({ resourceId: resource.id })) },
                tagSet: { items: [{ key: 'traffic-mirror', value: 'true' }] },
              },
            },
          };
          const instanceIds = resources.filter((resource) => resource.instance).map((resource) => resource.id);

          const trigger = parseTrigger(event, options);

          expect(trigger).toMatchObject({ eventId, kind: 'cloudtrail-tags', instanceIds });
          expect(trigger.ignoredReason !== undefined).toBe(instanceIds.length === 0);
        },
      ),
      RUNS,
    );
  });
});
