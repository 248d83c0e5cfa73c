export { converge, applyPlans, ConvergeError, failureRecord, INSTANCE_CONCURRENCY, TARGET_FULL_RECHECK_MS } from './converge';
export type { ConvergeSummary, ConvergeTrigger, DecisionRecord, RecordedAction } from './converge';
export { readAndPlan, SLOT_GRACE_MS } from './read-and-plan';
export type { InstancePlan, StaleReason, StaleSlot, UnrecordedSession } from './read-and-plan';
export { sweepInstanceIds } from './sweep';
export type * from './ports';
