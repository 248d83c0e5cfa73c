/**
 * Instance state machine: pending -> running, stopping -> stopped, shutting-down -> terminated, each second step
 * after a configurable delay. Every change emits the state-change event; reaching `terminated` deletes the ENIs
 * marked DeleteOnTermination (and with them their sessions) and detaches the others. ENI attachments go
 * `attaching` -> `attached` the same way: with the instance reaching `running`, or one delay after
 * AttachNetworkInterface; DetachNetworkInterface leaves them `detaching` for one delay.
 */
import type { EventHub } from './events';
import type { Attachment, Instance, InstanceStateName, NetworkInterface, SimState } from './model/state';

export class Lifecycle {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly state: SimState,
    private readonly events: EventHub,
    private readonly transitionDelayMs: number,
    private readonly terminatedRetentionMs: number,
  ) {}

  launched(instance: Instance): void {
    this.events.instanceStateChanged(instance.instanceId, 'pending');
    this.schedule(instance, 'pending', 'running');
  }

  start(instance: Instance): void {
    this.change(instance, 'pending', '');
    this.schedule(instance, 'pending', 'running');
  }

  stop(instance: Instance): void {
    this.change(instance, 'stopping', 'User initiated');
    this.schedule(instance, 'stopping', 'stopped');
  }

  terminate(instance: Instance): void {
    this.change(instance, 'shutting-down', 'User initiated');
    this.schedule(instance, 'shutting-down', 'terminated');
  }

  /** An ENI attached to a running or stopped instance: `attached` after one delay. */
  attaching(attachment: Attachment): void {
    this.after(attachment.attachmentId, () => {
      if (attachment.status === 'attaching') attachment.status = 'attached';
    });
  }

  /** A detach: `detaching` for one delay, then the ENI is `available` (AttachmentStatus in the API reference). */
  detaching(eni: NetworkInterface): void {
    const attachment = eni.attachment;
    if (!attachment) return;
    attachment.status = 'detaching';
    this.after(attachment.attachmentId, () => {
      if (eni.attachment === attachment) this.state.detach(eni);
    });
  }

  /** Forget terminated instances older than the retention, as EC2 does after about an hour. */
  purgeExpired(now: number): void {
    for (const instanceId of this.state.terminated) {
      const terminatedAt = this.state.instances.get(instanceId)?.terminatedAt ?? 0;
      if (now - terminatedAt >= this.terminatedRetentionMs) this.state.forgetInstance(instanceId);
    }
  }

  /** Resolves once no transition is pending. */
  settle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.wakeWaiters();
  }

  private schedule(instance: Instance, from: InstanceStateName, to: InstanceStateName): void {
    this.after(instance.instanceId, () => {
      if (instance.state === from) this.complete(instance, to);
    });
  }

  /** Runs `step` one transition delay from now; a later call with the same key replaces it. */
  private after(key: string, step: () => void): void {
    clearTimeout(this.timers.get(key));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      step();
      if (this.timers.size === 0) this.wakeWaiters();
    }, this.transitionDelayMs);
    this.timers.set(key, timer);
  }

  private complete(instance: Instance, to: InstanceStateName): void {
    if (to === 'running') {
      for (const eni of this.state.interfacesOfInstance(instance.instanceId)) {
        if (eni.attachment?.status === 'attaching') eni.attachment.status = 'attached';
      }
    }
    if (to === 'terminated') {
      instance.terminatedAt = Date.now();
      this.state.terminated.add(instance.instanceId);
      for (const eni of this.state.interfacesOfInstance(instance.instanceId)) {
        if (eni.attachment?.deleteOnTermination) this.state.deleteNetworkInterface(eni.networkInterfaceId, instance.terminatedAt);
        else this.state.detach(eni);
      }
    }
    const reason = to === 'stopped' || to === 'terminated' ? `User initiated (${new Date().toISOString()})` : '';
    this.change(instance, to, reason);
  }

  private change(instance: Instance, to: InstanceStateName, reason: string): void {
    if (instance.state === to) return;
    this.state.laggingInstances.beforeChange(instance, Date.now());
    instance.state = to;
    instance.stateTransitionReason = reason;
    this.events.instanceStateChanged(instance.instanceId, to);
  }

  private wakeWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
