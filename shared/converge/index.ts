export type { ConvergeSummary, ConvergeTrigger, DecisionRecord, RecordedAction } from './converge';
export {
  applyPlans,
  ConvergeError,
  converge,
  failureRecord,
  INSTANCE_CONCURRENCY,
  RESERVATION_HOLD_MS,
  TARGET_FULL_RECHECK_MS,
} from './converge';
export type * from './ports';
export type { InstancePlan, StaleReason, StaleSlot, UnrecordedSession } from './read-and-plan';
export { readAndPlan, SLOT_GRACE_MS } from './read-and-plan';
export { sweepInstanceIds } from './sweep';
