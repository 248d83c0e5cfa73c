/**
 * Callbacks around an action, for failure testing: `before` runs after the request is admitted and before the
 * handler; `after` runs once the handler has changed the state and before the response is written. A hook that
 * throws an Ec2Error answers with that error; anything else it throws becomes InternalError. Either way the state
 * change, for `after`, stays applied.
 */
import type { Params } from './protocol/query';

export type HookPhase = 'before' | 'after';
export type Hook = (params: Record<string, string>) => void | Promise<void>;

export class Hooks {
  private readonly hooks = new Map<string, Set<Hook>>();

  add(action: string, phase: HookPhase, hook: Hook): () => void {
    const key = `${phase}:${action}`;
    const set = this.hooks.get(key) ?? new Set<Hook>();
    set.add(hook);
    this.hooks.set(key, set);
    return () => set.delete(hook);
  }

  async run(action: string, phase: HookPhase, params: Params): Promise<void> {
    for (const hook of [...(this.hooks.get(`${phase}:${action}`) ?? [])]) await hook({ ...params });
  }
}
