/**
 * The system under the model-based test: the real product code (the batch handler path, converge, the sweep) wired
 * in-process with the real SDK over HTTP against the EC2 simulator and dynalite (tests/reliability/support), and
 * everything the world and the operators do to it. Invocations run one at a time; each is a fresh container on the
 * deployment of the moment and may be killed at a mirror-session call (tests/model/support/crash.ts).
 */
import {
  AttachNetworkInterfaceCommand,
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorTargetCommand,
  DeleteNetworkInterfaceCommand,
  DeleteTagsCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  StartInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { AWS_LIMITS, type Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { scanTable, type WorldSession } from '../../../local/oracle';
import { loadConfig } from '../../../shared/config/config';
import type { SweepSettings } from '../../../shared/config/sweep-settings';
import { RESERVATION_HOLD_MS, SLOT_GRACE_MS } from '../../../shared/converge';
import { type SweepSummary, sweep } from '../../../shared/converge/sweep';
import { handleSqsBatch } from '../../../shared/lambda/batch';
import { endpointsOf, wire } from '../../support/deps';
import { Ec2Seeder, type Launched, startTestCloud, type TestCloud } from '../../support/test-cloud';
import type { CrashPoint } from './crash';
import {
  type Deployment,
  environmentOf,
  FILTER_TAG_KEY,
  FIRST_DEPLOYMENT,
  type OverrideValue,
  OWNER_ID,
  TARGET_TAG_KEY,
  type TargetRole,
  type WorldIds,
} from './deployment';
import { BATCH_SIZE, EventQueues, type QueuedMessage } from './event-queues';
import { emptyFigures, type ModelFigures } from './figures';
import { type InvocationBody, type InvocationResult, Invoker } from './invoker';

export const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
const RESERVATION_TAG = 'vpc-mirror-orchestrator:reservation';
/** Network-interface targets accept this many sources here (AWS: 10), so that hand-made sessions fill them. */
export const SOURCES_PER_INTERFACE_TARGET = 3;
/** What the invariants compute target limits from (local/sandbox/invariants.ts). */
export const TARGET_LIMITS = {
  sourcesPerInterfaceTarget: SOURCES_PER_INTERFACE_TARGET,
  sourcesPerFullHostInterfaceTarget: AWS_LIMITS.sourcesPerFullHostInterfaceTarget,
};
/** The lowered account quota: this many sessions more than the account holds when it is lowered. */
const QUOTA_HEADROOM = 1;
/** Time enough for a dead container's reservation hold to lapse, well within SLOT_GRACE_MS. */
const DEAD_HOLD_LAPSED_MS = RESERVATION_HOLD_MS + 10_000;
/** The sweep as deployed, but not paced to EC2's real refill rate (the simulator does not throttle here). */
const SWEEP_SETTINGS: SweepSettings = {
  maxInstancesPerRun: 500,
  batchSize: 10,
  mutationsPerSecond: 50,
  mutationBurst: 50,
  timeReserveMs: 0,
};

export interface ModelInstance extends Launched {
  /** The primary ENI outlives the instance (DeleteOnTermination=false). */
  readonly keepsPrimary: boolean;
}

/** Something that went wrong that no injected fault explains (a crash loop, a sweep that throws). */
export interface Finding {
  readonly kind: string;
  readonly message: string;
}

export class ModelCloud {
  readonly instances: ModelInstance[] = [];
  /** Sessions made by hand that still exist as they were made. */
  readonly handMade: WorldSession[] = [];
  readonly queues = new EventQueues();
  readonly figures: ModelFigures;
  readonly findings: Finding[] = [];
  /** Managed sessions seen at any point, with their ENI: each must have been announced. */
  readonly seenManaged = new Map<string, string>();
  /** Instances whose events were lost (dropped or dead-lettered): only the sweep can be expected to catch up. */
  readonly lostEventsOf = new Set<string>();
  /**
   * Instances an operator changed in a way EC2 sends no event for, since their last event was converged: a slot freed
   * by deleting a hand-made session, an interface attached (CloudTrail's rule, which would tell, is off here). The
   * product hears of it from the sweep, so only the sweep can be expected to catch up.
   */
  readonly changedWithoutEventOf = new Set<string>();
  /**
   * Sessions deleted whose detach was not yet announced when the model wiped the ledger: the slot marked releasing
   * was its only record (docs/RELIABILITY.md, "What no run can announce"), so no announcement can be expected.
   */
  readonly detachesLostWithTheLedger = new Set<string>();
  /**
   * Sessions of ours alive, or still named by a slot, when the model wiped the ledger: if EC2 deletes one with its
   * ENI before a run learns it back, nothing is left to say it ended (docs/RELIABILITY.md, "What no run can announce").
   */
  readonly endsLostWithTheLedger = new Set<string>();
  /**
   * Sessions EC2 made for an invocation killed before it read the answer: until a run comes back to the instance,
   * only EC2 knows them (docs/RELIABILITY.md, "What no run can announce").
   */
  readonly madeByKilledRuns = new Set<string>();
  /**
   * Sessions EC2 made, and the product announced, for an invocation killed later in its run, before it recorded them
   * (history and slot are written at a run's end): if the ENI goes before a run comes back, nothing is left to say
   * which session ended (docs/RELIABILITY.md, "What no run can announce").
   */
  readonly madeEarlierByKilledRuns = new Set<string>();
  deployment: Deployment = FIRST_DEPLOYMENT;
  accountQuota: number = AWS_LIMITS.sessionsPerAccount;
  consistencyMs = 0;
  private clockOffsetMs = 0;
  private readonly invoker: Invoker;
  private handMadeNumber = 100;
  private readonly removeListeners: Array<() => void> = [];
  /** Sessions the ledger may not know: they lived when the model wiped it, or were reported already. */
  private readonly forgivenSessions = new Set<string>();

  private constructor(
    readonly cloud: TestCloud,
    readonly ids: WorldIds,
    readonly seed: number,
  ) {
    this.figures = emptyFigures(seed);
    this.removeListeners.push(cloud.sim.onEvent((event) => this.queues.publish(event as unknown as Record<string, unknown>)));
    this.invoker = new Invoker(cloud.sim);
    this.removeListeners.push(() => this.invoker.dispose());
  }

  static async start(seed: number): Promise<ModelCloud> {
    const cloud = await startTestCloud({ seed, limits: { sourcesPerInterfaceTarget: SOURCES_PER_INTERFACE_TARGET } });
    try {
      const seeder = new Ec2Seeder(cloud);
      const filter = async () =>
        (await cloud.ec2.send(new CreateTrafficMirrorFilterCommand({}))).TrafficMirrorFilter?.TrafficMirrorFilterId as string;
      const gwlb = await cloud.ec2.send(new CreateTrafficMirrorTargetCommand({ GatewayLoadBalancerEndpointId: 'vpce-0a1b2c3d4e5f60718' }));
      const ids: WorldIds = {
        filters: { a: await filter(), b: await filter(), allowed: await filter(), refused: await filter() },
        targets: {
          'eni-a': await seeder.interfaceTarget(),
          'eni-b': await seeder.interfaceTarget(),
          nlb: await seeder.loadBalancerTarget('mirror'),
          gwlb: gwlb.TrafficMirrorTarget?.TrafficMirrorTargetId as string,
          refused: await seeder.loadBalancerTarget('elsewhere'),
        },
      };
      await cloud.sim.settle();
      const model = new ModelCloud(cloud, ids, seed);
      // The target hosts' own launch events are not the product's business.
      model.queues.waiting.splice(0);
      return model;
    } catch (error) {
      await cloud.stop();
      throw error;
    }
  }

  get sim(): Simulator {
    return this.cloud.sim;
  }

  instance(index: number): ModelInstance | undefined {
    return this.instances.length === 0 ? undefined : this.instances[index % this.instances.length];
  }

  // --- What the world and the operators do -------------------------------------------------------------------

  // What EC2 refuses an operator (a resource not visible yet, a wrong state) simply does not happen.

  async launch(options: { type: string; tagged: boolean; interfaces: number; keepsPrimary: boolean }): Promise<void> {
    const launched = await new Ec2Seeder(this.cloud)
      .launch({
        type: options.type,
        interfaces: options.interfaces,
        keepPrimaryOnTermination: options.keepsPrimary,
        ...(options.tagged ? { tags: { 'traffic-mirror': 'true' } } : {}),
      })
      .catch(() => undefined);
    if (launched !== undefined) this.instances.push({ ...launched, keepsPrimary: options.keepsPrimary });
  }

  async setTags(instanceId: string, tags: Record<string, string>): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    await this.cloud.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: list })).catch(() => undefined);
    await this.sim.settle();
  }

  async deleteTag(instanceId: string, key: string): Promise<void> {
    await this.cloud.ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: key }] })).catch(() => undefined);
    await this.sim.settle();
  }

  async setOverride(instanceId: string, kind: 'target' | 'filter', value: OverrideValue | undefined): Promise<void> {
    const key = kind === 'target' ? TARGET_TAG_KEY : FILTER_TAG_KEY;
    if (value === undefined) return this.deleteTag(instanceId, key);
    const id = kind === 'target' ? (value === 'allowed' ? this.ids.targets.gwlb : this.ids.targets.refused) : this.ids.filters[value];
    return this.setTags(instanceId, { [key]: id });
  }

  async stop(instanceId: string): Promise<void> {
    await new Ec2Seeder(this.cloud).stop(instanceId).catch(() => undefined); // IncorrectInstanceState: as an operator sees it
  }

  async start(instanceId: string): Promise<void> {
    await this.cloud.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })).catch(() => undefined);
    await this.sim.settle();
  }

  async terminate(instanceId: string): Promise<void> {
    await new Ec2Seeder(this.cloud).terminate(instanceId).catch(() => undefined);
  }

  /** A session made by hand (no ownership tags) on an instance's ENI; EC2 may refuse it, as it would an operator. */
  async addHandMade(instance: ModelInstance, eniIndex: number, target: TargetRole): Promise<void> {
    const eniId = instance.eniIds[eniIndex % instance.eniIds.length] as string;
    if (!this.sim.snapshot().networkInterfaces.some((eni) => eni.networkInterfaceId === eniId)) return;
    this.handMadeNumber += 1;
    const [targetId, filterId, sessionNumber] = [this.ids.targets[target], this.ids.filters.a, this.handMadeNumber];
    const sessionId = await new Ec2Seeder(this.cloud).handMadeSession(eniId, targetId, filterId, sessionNumber).catch(() => undefined);
    if (sessionId === undefined) return;
    this.handMade.push({ sessionId, eniId, targetId, filterId, sessionNumber, tags: { 'made-by': 'hand' } });
    this.figures.handMadeSessions += 1;
  }

  async deleteHandMade(index: number): Promise<void> {
    const [session] = this.handMade.splice(index % Math.max(1, this.handMade.length), 1);
    if (session === undefined) return;
    const eni = this.sim.snapshot().networkInterfaces.find((candidate) => candidate.networkInterfaceId === session.eniId);
    if (eni?.instanceId !== undefined) this.changedWithoutEventOf.add(eni.instanceId);
    await new Ec2Seeder(this.cloud).deleteSession(session.sessionId).catch(() => undefined);
  }

  /** A network interface made in the instance's zone and attached at its next device index, as an operator would. */
  async attachInterface(instance: ModelInstance): Promise<void> {
    const snapshot = this.sim.snapshot();
    const described = snapshot.instances.find((candidate) => candidate.instanceId === instance.instanceId);
    if (described === undefined || (described.state !== 'running' && described.state !== 'stopped')) return;
    const indexes = snapshot.networkInterfaces.filter((eni) => eni.instanceId === instance.instanceId).map((eni) => eni.deviceIndex ?? 0);
    const deviceIndex = Math.max(-1, ...indexes) + 1;
    const eniId = await new Ec2Seeder(this.cloud).detachedInterface(described.availabilityZone).catch(() => undefined);
    if (eniId === undefined) return;
    const attached = await this.cloud.ec2
      .send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instance.instanceId, DeviceIndex: deviceIndex }))
      .catch(() => undefined);
    await this.sim.settle();
    if (attached === undefined) return;
    instance.eniIds.push(eniId);
    this.changedWithoutEventOf.add(instance.instanceId);
    this.figures.interfacesAttached += 1;
  }

  /** A secondary interface detached from its instance, then deleted or kept: no event says so either. */
  async detachInterface(instance: ModelInstance, deleteIt: boolean): Promise<void> {
    const eni = this.sim
      .snapshot()
      .networkInterfaces.find((candidate) => candidate.instanceId === instance.instanceId && (candidate.deviceIndex ?? 0) > 0);
    if (eni === undefined) return;
    const described = await this.cloud.ec2
      .send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.networkInterfaceId] }))
      .catch(() => undefined);
    const attachmentId = described?.NetworkInterfaces?.[0]?.Attachment?.AttachmentId;
    if (attachmentId === undefined) return;
    await this.cloud.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId })).catch(() => undefined);
    await this.sim.settle();
    this.figures.interfacesDetached += 1;
    if (!deleteIt) return;
    await this.cloud.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.networkInterfaceId })).catch(() => undefined);
  }

  /** A redeploy: the next invocations run with these settings. A deployment the configuration refuses never starts. */
  deploy(deployment: Deployment): void {
    this.figures.configurationChanges += 1;
    try {
      loadConfig({ LEDGER_TABLE_NAME: this.cloud.table.tableName, ...environmentOf(deployment, this.ids) });
    } catch {
      this.figures.refusedConfigurations += 1;
      return;
    }
    this.deployment = deployment;
  }

  /** The ledger's slots and target counts are gone (a replaced table, a point-in-time restore); history stays. */
  async loseLedger(): Promise<void> {
    this.figures.ledgerLosses += 1;
    const live = new Set(this.sim.snapshot().sessions.map((session) => session.trafficMirrorSessionId));
    for (const sessionId of live) this.forgivenSessions.add(sessionId);
    const items = await scanTable(this.cloud.documents, this.cloud.table.tableName);
    for (const sessionId of live) this.endsLostWithTheLedger.add(sessionId);
    for (const slot of items.flatMap((item) => (String(item.pk).startsWith('eni#') ? Object.values(item.slots ?? {}) : []))) {
      const { state, sessionId } = slot as { state?: string; sessionId?: string };
      if (sessionId !== undefined) this.endsLostWithTheLedger.add(sessionId);
      if (state === 'releasing' && sessionId !== undefined && !live.has(sessionId)) this.detachesLostWithTheLedger.add(sessionId);
    }
    for (const item of items.filter((candidate) => /^(eni|target)#/.test(String(candidate.pk)))) {
      await this.cloud.documents.send(new DeleteCommand({ TableName: this.cloud.table.tableName, Key: { pk: item.pk, sk: item.sk } }));
    }
  }

  /** Lowers the account's session quota to just above what it holds now, or gives AWS's quota back. */
  setQuota(lowered: boolean): void {
    this.accountQuota = lowered ? this.sim.snapshot().sessions.length + QUOTA_HEADROOM : AWS_LIMITS.sessionsPerAccount;
    if (lowered) this.figures.quotasPlayed += 1;
    this.sim.setLimits({ sessionsPerAccount: this.accountQuota });
  }

  /**
   * From now on, what is created stays invisible to Describe for `ms`. The simulator's window applies to every
   * resource younger than it, so the model first lets it pass: what exists already has long been visible in EC2.
   */
  async setConsistency(ms: number): Promise<void> {
    if (ms > 0 && this.consistencyMs === 0) {
      this.figures.consistencyWindows += 1;
      await new Promise((resolve) => setTimeout(resolve, ms + 20));
    }
    this.consistencyMs = ms;
    this.sim.setEventualConsistency(ms);
  }

  /** The next `count` outcome events PutEvents is asked for are answered as failed. */
  failOutcomes(count: number): void {
    this.figures.outcomeFailures += count;
    this.cloud.bus.failNextEntries(count);
  }

  armCrash(point: CrashPoint): void {
    this.invoker.arm(point);
  }

  /** Time passes beyond the grace period that protects reservations of attaches in flight, and EC2 catches up. */
  async passTime(): Promise<void> {
    this.clockOffsetMs += SLOT_GRACE_MS + 60_000;
    if (this.consistencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.consistencyMs + 20));
  }

  // --- The product ---------------------------------------------------------------------------------------------

  /** One receive of up to 10 messages of one queue by its function; what is not deleted comes back later. */
  /** Returns how many messages were received. */
  async deliver(count: number, order: 'oldest' | 'newest', duplicate: boolean): Promise<number> {
    const messages = this.queues.take(count, order);
    if (messages.length === 0) return 0;
    this.figures.deliveries += messages.length;
    if (order === 'newest' && messages.length > 1) this.figures.reorders += 1;
    const event = this.queues.receive(messages);
    const failedBefore = this.cloud.bus.failedEntries();
    const result = await this.invoke('batch', (deps) => handleSqsBatch(event, deps));
    const disturbed = result.outcome === 'crashed' || this.consistencyMs > 0 || this.cloud.bus.failedEntries() > failedBefore;
    let failed: QueuedMessage[];
    if (result.outcome === 'done') {
      const ids = new Set(result.value.batchItemFailures.map((failure) => failure.itemIdentifier));
      failed = messages.filter((message) => ids.has(message.messageId));
    } else failed = messages;
    if (failed.length > 0 && !disturbed) {
      const why = result.outcome === 'threw' ? String(result.error) : `in batchItemFailures: ${result.loggedErrors.join(' | ')}`;
      this.findings.push({
        kind: 'record failed with no fault injected',
        message: `${failed.map((m) => m.messageId).join(', ')} (${why}); instances ${failed.flatMap((m) => m.instanceIds).join(', ')}`,
      });
    }
    for (const message of messages) {
      if (!failed.includes(message)) for (const instanceId of message.instanceIds) this.changedWithoutEventOf.delete(instanceId);
    }
    for (const message of failed) {
      this.queues.giveBack(message);
      if (this.queues.deadLetters.includes(message)) {
        this.figures.deadLettered += 1;
        for (const instanceId of message.instanceIds) this.lostEventsOf.add(instanceId);
      }
    }
    if (duplicate) {
      for (const message of messages) if (!failed.includes(message)) this.queues.duplicate(message);
      this.figures.duplicates += messages.length - failed.length;
    }
    return messages.length;
  }

  drop(count: number): void {
    for (const message of this.queues.drop(count)) {
      this.figures.drops += 1;
      for (const instanceId of message.instanceIds) this.lostEventsOf.add(instanceId);
    }
  }

  /** The scheduled sweep. Undefined when it crashed; a throw with no injected fault is a finding. */
  async sweep(label: string): Promise<SweepSummary | undefined> {
    this.figures.sweeps += 1;
    const failedBefore = this.cloud.bus.failedEntries();
    const result = await this.invoke('sweep', (deps, sweepLedger) =>
      sweep({ eventId: `model-${this.seed}-${label}-${this.figures.sweeps}` }, deps, {
        ledger: sweepLedger,
        settings: SWEEP_SETTINGS,
        // The quota the simulator enforces now: a sweep at a lowered one refuses up front, as at AWS's own.
        accountSessionQuota: this.accountQuota,
      }),
    );
    if (result.outcome === 'done') return result.value;
    if (result.outcome === 'threw' && this.consistencyMs === 0 && this.cloud.bus.failedEntries() === failedBefore) {
      this.findings.push({
        kind: 'sweep threw with no fault injected',
        message: `${label}: ${String(result.error)} (${result.loggedErrors.join(' | ')})`,
      });
    }
    return undefined;
  }

  /**
   * Between invocations, the ledger knows every live session of ours: a slot names it, or a reservation left by a
   * crash carries its ClientToken. Sessions that lived when the model wiped the ledger are excused.
   */
  async checkLedgerMemory(after: string): Promise<void> {
    const items = await scanTable(this.cloud.documents, this.cloud.table.tableName);
    const known = new Set<string>();
    for (const item of items.filter((candidate) => String(candidate.pk).startsWith('eni#'))) {
      for (const slot of Object.values((item.slots ?? {}) as Record<string, { sessionId?: string; reservationId?: string }>)) {
        if (slot.sessionId !== undefined) known.add(slot.sessionId);
        if (slot.reservationId !== undefined) known.add(slot.reservationId);
      }
    }
    for (const session of this.sim.snapshot().sessions) {
      const id = session.trafficMirrorSessionId;
      if (session.tags[OWNER_TAG] !== OWNER_ID || this.forgivenSessions.has(id)) continue;
      if (known.has(id) || known.has(session.tags[RESERVATION_TAG] ?? '')) continue;
      this.forgivenSessions.add(id); // reported once
      const mismatches = this.sim.calls().CreateTrafficMirrorSession?.errors.IdempotentParameterMismatch ?? 0;
      const context = `filter ${session.trafficMirrorFilterId}; EC2 has answered IdempotentParameterMismatch ${mismatches} times so far`;
      this.findings.push({
        kind: 'ledger forgot a live session',
        message: `${id} on ${session.networkInterfaceId} (${context}) after ${after}`,
      });
    }
  }

  /** Remembers the managed sessions EC2 holds now (to check later that each was announced). */
  observe(): void {
    for (const session of this.sim.snapshot().sessions) {
      if (session.tags[OWNER_TAG] !== OWNER_ID) continue;
      this.seenManaged.set(session.trafficMirrorSessionId, session.networkInterfaceId);
      if (this.invoker.createsKilledAfter.has(session.tags[RESERVATION_TAG] ?? ''))
        this.madeByKilledRuns.add(session.trafficMirrorSessionId);
      if (this.invoker.createsOfKilledRuns.has(session.tags[RESERVATION_TAG] ?? ''))
        this.madeEarlierByKilledRuns.add(session.trafficMirrorSessionId);
    }
  }

  /** Disarms crashes, then delivers every event, retries included, until none is left in flight. */
  async drainEvents(maxRounds = 10): Promise<void> {
    this.invoker.arm(undefined);
    for (let round = 0; round < maxRounds && this.queues.waiting.length > 0; round += 1) {
      // What came back waits for its visibility timeout: by then EC2 has caught up with what it was behind.
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, this.consistencyMs + 20));
      let due = this.queues.waiting.length;
      while (due > 0) due -= Math.max(1, await this.deliver(Math.min(due, BATCH_SIZE), 'oldest', false));
    }
  }

  async stopAll(): Promise<void> {
    for (const remove of this.removeListeners) remove();
    await this.cloud.stop();
  }

  /** One invocation as a fresh container on the deployment and clock of the moment. */
  private async invoke<T>(kind: 'batch' | 'sweep', body: InvocationBody<T>): Promise<InvocationResult<T>> {
    if (kind === 'batch') this.figures.batchInvocations += 1;
    const wiring = wire(endpointsOf(this.cloud), {
      targetIds: this.deployment.pool.map((role) => this.ids.targets[role]),
      filterId: this.ids.filters[this.deployment.filter],
      env: environmentOf(this.deployment, this.ids),
      clockOffsetMs: this.clockOffsetMs,
      ec2MaxAttempts: 3,
    });
    const result = await this.invoker.invoke(wiring, body);
    if (result.outcome === 'crashed') {
      this.figures.crashes += 1;
      // A dead container's messages come back only after the queue's visibility timeout (420 s): by then the
      // reservation it held has lapsed, and whoever comes next takes it over instead of waiting on a holder that is
      // gone. The model lets them come back as early as that can be (EC2 may still lag behind what the dead
      // container did), not as late as the queue would.
      this.clockOffsetMs += DEAD_HOLD_LAPSED_MS;
    }
    this.observe();
    return result;
  }
}
