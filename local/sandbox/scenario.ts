/**
 * The sandbox scenario as data: the fleet (who exists, where, with what tags) and the story (what an operator and
 * the world do to it, step by step). The runner interprets it; nothing here talks to a server.
 */
import { type Random, seededRandom } from '../random';

/** Zone letters; the runner appends them to the local cloud's region (us-east-1a, us-east-1b). */
export const ZONES = ['a', 'b'] as const;
export type Zone = (typeof ZONES)[number];

/** Why an instance is in the fleet: what the story expects the orchestrator to do with it. */
export type Role =
  | 'mirrored' // tagged, Nitro, supported: every ENI mirrored
  | 'untagged' // never opted in: left alone
  | 'unsupported-type' // tagged, but AWS refuses its ENIs as sources: refused
  | 'crowded-eni' // tagged; its first ENI already holds three hand-made sessions: that ENI refused, the rest mirrored
  | 'target-not-allowed' // tagged, but its override tag names a target outside the pool and the allow-list: refused
  | 'target-host'; // carries a traffic mirror target ENI: never a source

export interface InstanceSpec {
  /** Stable name (the Name tag); the story refers to instances by it. */
  readonly name: string;
  readonly role: Role;
  readonly instanceType: string;
  readonly zone: Zone;
  /** Network interfaces: 1 = primary only; 2 = a second ENI attached at launch. */
  readonly eniCount: 1 | 2;
  /** Tagged traffic-mirror=true at launch. */
  readonly taggedAtLaunch: boolean;
  /** Launched while setting the stage (before the orchestrator is deployed) instead of in the story's first step. */
  readonly preexisting: boolean;
  /** Hand-made sessions on the first ENI, created while setting the stage. */
  readonly handMadeSessions: number;
  /** The target its override tag (MIRROR_TARGET_TAG_KEY) names at launch, by label: ask for the NLB, or for a
   *  target outside the pool. */
  readonly overrideTarget?: TargetLabel;
}

/** Targets the runner creates, by the label the story uses. */
export type TargetLabel = 'nlb' | 'secops-nlb';

export type StoryAction =
  | { readonly kind: 'launch'; readonly names: readonly string[] }
  | { readonly kind: 'tag'; readonly names: readonly string[] }
  | { readonly kind: 'untag'; readonly names: readonly string[] }
  | { readonly kind: 'stop'; readonly names: readonly string[] }
  | { readonly kind: 'start'; readonly names: readonly string[] }
  | { readonly kind: 'terminate'; readonly names: readonly string[] }
  /**
   * EventBridge delivery is best effort: while `lost` is true every event is dropped before reaching a function
   * (turning it off first waits for the events already in flight, so they are lost too).
   */
  | { readonly kind: 'lose-events'; readonly lost: boolean }
  /** EventBridge Scheduler fires the sweep function with a Scheduled Event. */
  | { readonly kind: 'sweep' }
  /** Someone outside the orchestrator mirrors the instance's first ENI to a target, by hand. */
  | { readonly kind: 'rogue-session'; readonly name: string; readonly target: TargetLabel }
  /** An incident capture: the opt-in tag plus an end time `seconds` from now (MIRROR_UNTIL_TAG_KEY). */
  | { readonly kind: 'tag-until'; readonly names: readonly string[]; readonly seconds: number }
  /** EventBridge Scheduler's one-minute tick fires the window-end function. */
  | { readonly kind: 'window-tick' }
  /** EventBridge delivers a state-change event without an instance id (a shape the handler does not know). */
  | { readonly kind: 'malformed-event' };

export interface StoryStep {
  readonly title: string;
  /** One sentence: what a reader should expect to see happen. */
  readonly expect: string;
  readonly actions: readonly StoryAction[];
}

export interface Scenario {
  readonly seed: number;
  readonly fleet: readonly InstanceSpec[];
  /** The two target hosts (one per zone): their primary ENIs become network-interface targets. */
  readonly targetHosts: readonly InstanceSpec[];
  readonly story: readonly StoryStep[];
}

export interface ScenarioOptions {
  /** Instances in the fleet (target hosts not counted); at least MIN_INSTANCES. */
  readonly instances?: number;
  readonly seed?: number;
}

export const DEFAULT_INSTANCES = 14;
/** The head of the fleet: one instance for every case the story tells. */
export const MIN_INSTANCES = 12;

const SUPPORTED_TYPES = ['m5.large', 'c5.xlarge', 'r5.large', 't3.medium', 'm5a.xlarge', 'c5n.large', 'm4.large'];
const UNSUPPORTED_TYPES = ['t2.medium', 'm6i.large', 'm5.metal'];
const UNTAGGED_TYPES = ['m5.large', 't3.small', 'c5.large'];

/**
 * The fleet is built from a fixed head (one of every case the story needs, so even the smallest fleet tells the
 * whole story) and a tail of ordinary instances that scales with `instances`; the seed varies types, zones and
 * ENI counts in the tail.
 */
export function buildScenario(options: ScenarioOptions = {}): Scenario {
  const seed = options.seed ?? 1;
  const count = options.instances ?? DEFAULT_INSTANCES;
  if (!Number.isInteger(count) || count < MIN_INSTANCES) {
    throw new RangeError(`instances must be an integer >= ${MIN_INSTANCES} (got ${count})`);
  }
  const random = seededRandom(seed);
  const spec = (name: string, role: Role, instanceType: string, zone: Zone, more: Partial<InstanceSpec> = {}) => ({
    name,
    role,
    instanceType,
    zone,
    eniCount: 1 as const,
    taggedAtLaunch: role !== 'untagged' && role !== 'target-host',
    preexisting: false,
    handMadeSessions: 0,
    ...more,
  });

  const head: InstanceSpec[] = [
    spec('web-1', 'mirrored', 'm5.large', 'a'),
    spec('web-2', 'mirrored', 'c5.xlarge', 'b', { eniCount: 2 }),
    spec('api-1', 'mirrored', 'r5.large', 'a', { eniCount: 2 }),
    spec('db-1', 'mirrored', 'm5a.xlarge', 'b'),
    spec('batch-1', 'untagged', 't3.small', 'a'),
    spec('legacy-1', 'unsupported-type', 't2.medium', 'b'),
    spec('app-m6i', 'unsupported-type', 'm6i.large', 'a'),
    spec('metal-1', 'unsupported-type', 'm5.metal', 'b'),
    // Per-instance override: the capture NLB is in the pool, so allowed; secops-nlb is not, so refused.
    spec('pcap-1', 'mirrored', 't3.medium', 'a', { overrideTarget: 'nlb' }),
    spec('rogue-1', 'target-not-allowed', 'm5.large', 'b', { overrideTarget: 'secops-nlb' }),
    // Already running and already mirrored by hand before the orchestrator existed; the operator tags it later.
    spec('capture-1', 'crowded-eni', 'm5.large', 'a', {
      eniCount: 2,
      taggedAtLaunch: false,
      preexisting: true,
      handMadeSessions: 3,
    }),
    // Launched untagged; the operator opts it in during the story.
    spec('late-1', 'mirrored', 'c5.xlarge', 'b', { taggedAtLaunch: false }),
  ];

  const tail: InstanceSpec[] = [];
  for (let index = head.length; index < count; index++) {
    const zone = pick(random, ZONES);
    const roll = random();
    const n = index - head.length + 1;
    if (roll < 0.7) {
      tail.push(spec(`node-${n}`, 'mirrored', pick(random, SUPPORTED_TYPES), zone, { eniCount: random() < 0.3 ? 2 : 1 }));
    } else if (roll < 0.85) {
      tail.push(spec(`node-${n}`, 'untagged', pick(random, UNTAGGED_TYPES), zone));
    } else {
      tail.push(spec(`node-${n}`, 'unsupported-type', pick(random, UNSUPPORTED_TYPES), zone));
    }
  }
  const fleet = [...head, ...tail];

  const targetHosts: InstanceSpec[] = ZONES.map((zone, index) =>
    spec(`ids-${index + 1}`, 'target-host', 'c5.4xlarge', zone, { preexisting: true }),
  );

  const launchedInStory = fleet.filter((instance) => !instance.preexisting).map((instance) => instance.name);
  const story: StoryStep[] = [
    {
      title: 'launch the fleet',
      expect:
        'tagged supported instances get one session per ENI (pcap-1 on the NLB its tag asks for); t2, m6i, metal ' +
        'and rogue-1 (a target outside the allow-list) are refused; untagged are skipped',
      actions: [{ kind: 'launch', names: launchedInStory }],
    },
    {
      title: 'tag capture-1 and late-1',
      expect: 'late-1 is mirrored; capture-1 eth0 (three hand-made sessions) is refused, its eth1 is mirrored',
      actions: [{ kind: 'tag', names: ['capture-1', 'late-1'] }],
    },
    {
      title: 'stop web-2',
      expect: 'both of its sessions are removed (stop policy: detach)',
      actions: [{ kind: 'stop', names: ['web-2'] }],
    },
    {
      title: 'start web-2',
      expect: 'both ENIs are mirrored again',
      actions: [{ kind: 'start', names: ['web-2'] }],
    },
    {
      title: 'untag api-1',
      expect: 'its two sessions are removed; the instance keeps running',
      actions: [{ kind: 'untag', names: ['api-1'] }],
    },
    {
      title: 'terminate db-1',
      expect: 'AWS deletes its ENI and with it the session; the orchestrator finds nothing left to detach',
      actions: [{ kind: 'terminate', names: ['db-1'] }],
    },
    {
      title: 'tag api-1 again, but EventBridge loses the event; then the scheduled sweep',
      expect: 'nothing happens on the tag (event lost); the sweep finds api-1 tagged and mirrors both its ENIs',
      actions: [
        { kind: 'lose-events', lost: true },
        { kind: 'tag', names: ['api-1'] },
        { kind: 'lose-events', lost: false },
        { kind: 'sweep' },
      ],
    },
    {
      title: 'someone mirrors rogue-1 to secops-nlb by hand; then the scheduled sweep',
      expect:
        'the sweep announces the session as Unmanaged Mirror Session Detected (secops-nlb is in neither the pool ' +
        "nor the allow-list) and touches nothing; capture-1's hand-made sessions to it were announced by the last sweep",
      actions: [{ kind: 'rogue-session', name: 'rogue-1', target: 'secops-nlb' }, { kind: 'sweep' }],
    },
    {
      title: 'incident: capture batch-1 for 3 seconds (traffic-mirror-until)',
      expect: 'batch-1 is mirrored at once; the window-end tick removes its session at the end time (mirror-window-ended)',
      actions: [{ kind: 'tag-until', names: ['batch-1'], seconds: 3 }, { kind: 'window-tick' }],
    },
    {
      title: 'a state-change event arrives without an instance id',
      expect: 'the handler logs it with its event id and fails that record; after 3 receives it goes to the dead-letter queue',
      actions: [{ kind: 'malformed-event' }],
    },
  ];

  return { seed, fleet, targetHosts, story };
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
