/**
 * The sandbox's story, played for real (dynalite, the EC2 simulator, the bus and the handlers in child
 * processes), checked on the final EC2 state and the ledger rather than on what is printed.
 */

import type { WorldSession } from '../../local/oracle';
import { runSandbox, type SandboxRun } from '../../local/sandbox/runner';
import { MIN_INSTANCES } from '../../local/sandbox/scenario';
import { INSTANCE_TAG, OWNER_TAG } from '../../shared/aws/ownership';

jest.setTimeout(180_000);

describe('the sandbox story on a small fleet', () => {
  let run: SandboxRun;

  beforeAll(async () => {
    run = await runSandbox({ instances: MIN_INSTANCES, seed: 7 });
  });

  const idOf = (name: string): string => {
    const id = run.instanceIds.get(name);
    if (!id) throw new Error(`${name} was not launched`);
    return id;
  };
  /** Throws rather than answering []: a loop over no ENIs would check nothing. */
  const enisOf = (name: string): string[] => {
    const eniIds =
      run.world.instances.find((instance) => instance.instanceId === idOf(name))?.networkInterfaces.map((eni) => eni.eniId) ?? [];
    if (eniIds.length === 0) throw new Error(`${name} has no network interface in the final world`);
    return eniIds;
  };
  const sessionsOn = (eniId: string): WorldSession[] => run.world.sessions.filter((session) => session.eniId === eniId);
  const managedOn = (eniId: string): WorldSession[] => sessionsOn(eniId).filter((session) => session.tags[OWNER_TAG] !== undefined);
  const historyOf = (name: string) => run.history.filter((entry) => entry.instanceId === idOf(name));

  it('mirrors every ENI of a tagged Nitro instance exactly once, two-ENI instances included', () => {
    expect(enisOf('web-1')).toHaveLength(1);
    expect(enisOf('web-2')).toHaveLength(2);
    for (const eniId of [...enisOf('web-1'), ...enisOf('web-2'), ...enisOf('late-1')]) {
      expect(managedOn(eniId)).toHaveLength(1);
      expect(run.poolTargetIds).toContain(managedOn(eniId)[0]?.targetId);
    }
  });

  it('mirrors an instance again after stop and start', () => {
    // Stopping and stopped may both converge concurrently: an ENI may be recorded as detached twice.
    const web2 = [...historyOf('web-2')].sort((a, b) => a.at.localeCompare(b.at));
    for (const eniId of enisOf('web-2')) {
      const lastDetach = web2.filter((entry) => entry.eniId === eniId && entry.action === 'detach').pop();
      expect(lastDetach?.reason).toBe('not-running');
      const reattached = web2.some((entry) => entry.eniId === eniId && entry.action === 'attach' && entry.at > (lastDetach?.at ?? ''));
      expect(reattached).toBe(true);
      expect(managedOn(eniId)).toHaveLength(1);
    }
  });

  it('lets the scheduled sweep mirror an instance whose tag event EventBridge lost', () => {
    expect(enisOf('api-1')).toHaveLength(2);
    const [eth0, eth1] = enisOf('api-1');
    expect(managedOn(eth0 as string)).toHaveLength(1);
    expect(managedOn(eth1 as string)).toHaveLength(1);
    const attachedBySweep = run.summary.decisions.filter(
      (decision) => decision.instanceId === idOf('api-1') && decision.action === 'attach' && decision.functionName.endsWith('sweep'),
    );
    expect(attachedBySweep.map((decision) => decision.eniId).sort()).toEqual([eth0, eth1].sort());
  });

  it('leaves unsupported instances unmirrored, and records why in the ledger', () => {
    for (const name of ['legacy-1', 'app-m6i', 'metal-1']) {
      for (const eniId of enisOf(name)) expect(sessionsOn(eniId)).toHaveLength(0);
    }
    const refusal = (name: string) => historyOf(name).find((entry) => entry.action === 'refuse')?.reason;
    expect(refusal('legacy-1')).toBe('unsupported-instance-type');
    expect(refusal('app-m6i')).toBe('unsupported-instance-type');
    expect(refusal('metal-1')).toBe('bare-metal');
    const reasonsOf = (name: string) => run.summary.instances.find((instance) => instance.name === name)?.notMirroredReasons;
    expect(reasonsOf('metal-1')).toEqual(['bare-metal']);
    expect(reasonsOf('capture-1')).toEqual(['eth0: interface-session-limit']);
    expect(reasonsOf('web-1')).toEqual([]);
  });

  it('mirrors the untagged batch-1 only for its incident window, and the window-end tick ends it after the end time', () => {
    const entries = [...historyOf('batch-1')].sort((a, b) => a.at.localeCompare(b.at));
    expect(
      entries.filter((entry) => entry.action === 'attach' || entry.action === 'detach').map((entry) => [entry.action, entry.reason]),
    ).toEqual([
      ['attach', 'eligible'],
      ['detach', 'mirror-window-ended'],
    ]);
    for (const eniId of enisOf('batch-1')) expect(sessionsOn(eniId)).toHaveLength(0);
    const ended = run.summary.decisions.find((decision) => decision.instanceId === idOf('batch-1') && decision.action === 'detach');
    expect(ended?.functionName.endsWith('windowEnd')).toBe(true);
  });

  it('mirrors to the target an override tag names when it is allowed, and refuses a target outside the allow-list', () => {
    const [pcap] = enisOf('pcap-1');
    expect(managedOn(pcap as string).map((session) => session.targetId)).toEqual([run.targetIds.get('nlb')]);
    expect(run.poolTargetIds).toContain(run.targetIds.get('nlb'));
    for (const eniId of enisOf('rogue-1')) expect(managedOn(eniId)).toHaveLength(0);
    expect(historyOf('rogue-1').some((entry) => entry.action === 'refuse' && entry.reason === 'target-not-allowed')).toBe(true);
  });

  it('announces the session someone made by hand from rogue-1 to secops-nlb once, and leaves it in place', () => {
    const [eniId] = enisOf('rogue-1');
    const rogue = sessionsOn(eniId as string);
    expect(rogue).toEqual([expect.objectContaining({ targetId: run.targetIds.get('secops-nlb') })]);
    const detected = run.summary.decisions.filter((decision) => decision.action === 'detect' && decision.eniId === eniId);
    expect(detected.map((decision) => [decision.sessionId, decision.reason])).toEqual([[rogue[0]?.sessionId, 'target-not-configured']]);
  });

  it('refuses the ENI that already holds three hand-made sessions and leaves them as they were', () => {
    const [crowded, free] = enisOf('capture-1');
    const handMade = sessionsOn(crowded as string);
    expect(handMade).toHaveLength(3);
    expect(handMade.every((session) => session.tags[OWNER_TAG] === undefined)).toBe(true);
    expect(handMade.map((session) => session.sessionNumber).sort()).toEqual([1, 2, 3]);
    expect(managedOn(free as string)).toHaveLength(1);
    expect(
      historyOf('capture-1').some(
        (entry) => entry.eniId === crowded && entry.action === 'refuse' && entry.reason === 'interface-session-limit',
      ),
    ).toBe(true);
  });

  it('removes the sessions of a terminated instance with it', () => {
    const db1 = run.world.instances.find((instance) => instance.instanceId === idOf('db-1'));
    expect(db1?.state).toBe('terminated');
    expect(run.world.sessions.filter((session) => session.tags[INSTANCE_TAG] === idOf('db-1'))).toHaveLength(0);
  });

  it('never crosses a limit and ends with every invariant holding, after every step too', () => {
    expect(run.summary.invariants.violations).toEqual([]);
    expect(run.summary.stepChecks.flatMap((check) => check.violations)).toEqual([]);
    expect(run.summary.stepChecks).toHaveLength(run.scenario.story.length);
    expect(run.summary.transientDuplicates).toEqual([]);
    expect(run.summary.createsWatched).toBeGreaterThan(0);
  });

  it('sends the malformed event, and only it, to the dead-letter queue after its receives', () => {
    expect(run.summary.deadLetters).toEqual([
      expect.objectContaining({ kind: 'sqs-redrive', functionName: 'instanceEvents', expected: true }),
    ]);
    expect(run.summary.missingDeadLetters).toEqual([]);
    const eventId = run.summary.deadLetters[0]?.eventId;
    expect(eventId).toEqual(expect.any(String));
    expect(run.summary.decisions.filter((decision) => decision.triggerEventId === eventId)).toEqual([]);
  });
});
