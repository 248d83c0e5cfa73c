/**
 * What DescribeInstances shows of an instance while EC2's reads lag: its state and tags as they were one window ago
 * (AWS's "Eventual consistency in the Amazon EC2 API": a change "might not be immediately visible to all subsequent
 * commands"). A change is seen once it is older than the window; the events that announce it go out at once.
 */
import type { ConsistencyWindow } from './recent-deletions';
import type { Instance, InstanceStateName, Tags } from './state';

interface Before {
  readonly at: number;
  readonly state: InstanceStateName;
  readonly stateTransitionReason: string;
  readonly tags: Tags;
}

export class LaggingInstances {
  /** Per instance, oldest first: how it was just before each change still inside the window. */
  private readonly changes = new Map<string, Before[]>();

  constructor(private readonly window: ConsistencyWindow) {}

  /** Called just before an instance's state or tags change. Nothing is kept while there is no window. */
  beforeChange(instance: Instance, now: number): void {
    if (this.window.ms <= 0) return;
    const { state, stateTransitionReason } = instance;
    const before = this.changes.get(instance.instanceId) ?? [];
    before.push({ at: now, state, stateTransitionReason, tags: new Map(instance.tags) });
    this.changes.set(instance.instanceId, before);
  }

  /** The instance as a read at `now` sees it: as it was before the first change younger than the window. */
  viewOf(instance: Instance, now: number): Instance {
    const before = this.changes.get(instance.instanceId);
    if (before === undefined) return instance;
    const unseen = this.window.ms > 0 ? before.filter((change) => now - change.at < this.window.ms) : [];
    const [oldest] = unseen;
    if (oldest === undefined) {
      this.changes.delete(instance.instanceId);
      return instance;
    }
    this.changes.set(instance.instanceId, unseen);
    return { ...instance, state: oldest.state, stateTransitionReason: oldest.stateTransitionReason, tags: oldest.tags };
  }
}
