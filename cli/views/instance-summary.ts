import type { Config } from '../../shared/config/config';
import type { InstancePlan } from '../../shared/converge';
import type { InstanceState } from '../../shared/domain/types';

/** The few facts about an instance every report starts with. */
export interface InstanceSummary {
  readonly instanceId: string;
  /** 'gone': EC2 no longer knows the instance. */
  readonly state: InstanceState | 'gone';
  readonly instanceType?: string;
  readonly tagged: boolean;
}

export function summarizeInstance(plan: InstancePlan, config: Config): InstanceSummary {
  const instance = plan.input.instance;
  if (instance === undefined) return { instanceId: plan.instanceId, state: 'gone', tagged: false };
  return {
    instanceId: plan.instanceId,
    state: instance.state,
    instanceType: instance.instanceType,
    tagged: instance.tags[config.tagKey] === config.tagValue,
  };
}
