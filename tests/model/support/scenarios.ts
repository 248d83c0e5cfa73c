/**
 * Issue 9's failure modes, each spelled out as the short sequence of model operations that plays it, so that the
 * model's checks are shown to catch every item on its own (the random sequences find them too, but not on demand).
 */
import { play } from './commands';
import type { CrashPoint } from './crash';

const tagged = { type: 'm5.large', tagged: true, interfaces: 1, keepsPrimary: false };
const untagged = { ...tagged, tagged: false };
const deliverAll = () => play.deliver(10, 'oldest', false);
const crash = (phase: CrashPoint['phase'], action: CrashPoint['action'], nth: number) => play.crash({ phase, action, nth });

export interface Scenario {
  readonly item: string;
  readonly title: string;
  readonly operations: ReadonlyArray<ReturnType<typeof play.sweep>>;
}

export const ISSUE_9_SCENARIOS: readonly Scenario[] = [
  {
    item: '1',
    title: 'an allowed target override added to a mirrored instance moves its session, and the ledger follows EC2',
    operations: [play.launch(tagged), deliverAll(), play.override('target', 0, 'allowed'), deliverAll()],
  },
  {
    item: '2',
    title: 'a steady instance mirrored to an NLB with no packet length set makes no mutating call',
    operations: [play.deploy({ filter: 'a', pool: ['nlb'] }), play.launch(tagged), deliverAll(), play.sweep()],
  },
  {
    item: '3',
    title: 'a retry after a crash and a redeploy, while Describe does not show the session yet, keeps the ledger knowing it',
    operations: [
      play.launch(tagged),
      play.consistency(300),
      crash('after', 'CreateTrafficMirrorSession', 1),
      deliverAll(),
      play.deploy({ filter: 'b', pool: ['eni-a', 'nlb'] }),
      deliverAll(),
    ],
  },
  {
    item: '4',
    title: 'at the account quota, records and sweeps end in refusals, not failures, and the instance is attached once it frees up',
    operations: [play.quota(true), play.launch({ ...tagged, interfaces: 2 }), deliverAll(), play.sweep()],
  },
  {
    item: '4 (InvalidParameterValue)',
    title: 'a packet length EC2 refuses for an NLB is refused at start or refused per create, never a crash loop',
    operations: [play.deploy({ filter: 'a', pool: ['nlb'], packetLength: 9001 }), play.launch(tagged), deliverAll(), play.sweep()],
  },
  {
    item: '5',
    title: 'a session left on an ENI that outlived its instance, after the ledger was lost, is removed',
    operations: [play.launch({ ...tagged, keepsPrimary: true }), deliverAll(), play.loseLedger(), play.terminate(0), deliverAll()],
  },
  {
    item: '6',
    title: 'a running event that arrives before Describe shows the instance still mirrors it without a sweep',
    operations: [play.consistency(300), play.launch(tagged), deliverAll()],
  },
  {
    item: '7',
    title: 'a target filled by hand-made sessions is not tried again by every sweep',
    operations: [
      play.deploy({ filter: 'a', pool: ['eni-a'] }),
      play.launch({ ...untagged, interfaces: 2 }),
      play.launch(untagged),
      play.handMade(0, 0, 'eni-a'),
      play.handMade(0, 1, 'eni-a'),
      play.handMade(1, 0, 'eni-a'),
      play.launch(tagged),
      deliverAll(),
      play.sweep(),
    ],
  },
  {
    item: '5 (eventual consistency)',
    title: 'a terminate converged before Describe lists a new session on the kept ENI does not make the ledger forget it',
    operations: [play.launch({ ...tagged, keepsPrimary: true }), play.consistency(300), play.sweep(), play.terminate(0), deliverAll()],
  },
  {
    item: '8',
    title: 'an attach whose outcome event PutEvents refused is still announced',
    operations: [play.failOutcomes(3), play.launch(tagged), deliverAll()],
  },
  {
    item: '8 (crash)',
    title: 'an attach made by an invocation killed before its next attach is still announced',
    operations: [play.launch({ ...tagged, interfaces: 2 }), crash('before', 'CreateTrafficMirrorSession', 2), deliverAll()],
  },
  {
    item: '8 (crash, two instances)',
    title: 'an attach made for one instance of a batch killed at the next instance is still announced',
    operations: [play.launch(tagged), play.launch(tagged), crash('before', 'CreateTrafficMirrorSession', 2), deliverAll()],
  },
  {
    item: '8 (crash after a detach)',
    title: 'a session deleted by an invocation killed right after the delete is announced as detached',
    operations: [
      play.launch(tagged),
      deliverAll(),
      play.deploy({ filter: 'b', pool: ['eni-a', 'nlb'] }),
      crash('after', 'DeleteTrafficMirrorSession', 1),
      play.sweep(),
    ],
  },
];

/** A run killed right after its create, so that nothing but the ledger's reservation knows the session was made. */
const madeByAKilledRun = (instance: typeof tagged) => [
  play.launch(instance),
  crash('after', 'CreateTrafficMirrorSession', 1),
  play.deliver(1, 'oldest', false),
];

/** Counterexamples the random sequences found, shrunk and kept as specifications (seed: where each was found). */
export const FOUND_SCENARIOS: readonly Scenario[] = [
  {
    item: 'seed 2',
    title: 'a delete whose run was killed before recording it is announced by the redelivery that still sees it listed',
    operations: [
      play.consistency(300),
      play.launch({ ...tagged, interfaces: 2 }),
      play.deliver(3, 'oldest', true),
      play.passTime(),
      play.override('target', 0, 'allowed'),
      play.quota(true),
      crash('after', 'DeleteTrafficMirrorSession', 2),
      play.deliver(3, 'oldest', true),
      deliverAll(),
    ],
  },
  {
    item: 'seed 37',
    title: "a sweep's delete, killed before recording it, is announced though the next sweep still sees it listed",
    operations: [
      play.launch(tagged),
      deliverAll(),
      play.consistency(300),
      play.untag(0),
      crash('after', 'DeleteTrafficMirrorSession', 1),
      play.sweep(),
      play.sweep(),
    ],
  },
  {
    item: 'seed 16 (kept)',
    title: 'a session made by a killed run and then lost with the ledger is announced as attached when it is learned again',
    operations: [...madeByAKilledRun(tagged), play.loseLedger()],
  },
  {
    item: 'seed 16',
    title: 'a session made by a killed run, lost with the ledger, then removed by an untag is announced as attached and as detached',
    operations: [...madeByAKilledRun(tagged), play.loseLedger(), play.untag(0)],
  },
  {
    item: 'seed 16 (orphaned)',
    title: 'such a session left on the ENI of a terminated instance is announced as attached and as detached when the sweep removes it',
    operations: [...madeByAKilledRun({ ...tagged, keepsPrimary: true }), play.loseLedger(), play.terminate(0)],
  },
  {
    item: 'seed 9 (detached)',
    title: 'a reservation on an interface detached while its session was too new to list keeps the grace period',
    operations: [
      play.launch({ ...tagged, interfaces: 2 }),
      play.consistency(300),
      crash('after', 'CreateTrafficMirrorSession', 2),
      deliverAll(),
      play.detachInterface(0, false),
      play.sweep(),
    ],
  },
  {
    item: 'seed 9 (terminated)',
    title: 'the same on the kept ENI of an instance Describe still shows running after its terminate',
    operations: [
      play.launch({ ...tagged, interfaces: 2, keepsPrimary: true }),
      play.consistency(300),
      crash('after', 'CreateTrafficMirrorSession', 2),
      deliverAll(),
      play.terminate(0),
      play.sweep(),
    ],
  },
  {
    item: 'seed 30',
    title: "a sweep killed after deleting an orphan the lost ledger never held leaves a mark, and the orphan's end is announced",
    operations: [
      play.launch({ ...tagged, keepsPrimary: true }),
      deliverAll(),
      play.loseLedger(),
      play.terminate(0),
      crash('after', 'DeleteTrafficMirrorSession', 1),
      play.sweep(),
    ],
  },
];
