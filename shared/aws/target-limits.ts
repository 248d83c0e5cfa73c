/**
 * Sources a network-interface target accepts: 10, or 100 when the target ENI sits on one of the largest full-host
 * sizes (docs/AWS-FACTS.md). Kept as data so a new size is a one-line change.
 */
const FULL_HOST_TARGET_TYPES: ReadonlySet<string> = new Set([
  'c5.18xlarge',
  'c5n.18xlarge',
  'm5.24xlarge',
  'm5d.24xlarge',
  'r5.24xlarge',
  'r5d.24xlarge',
  'p3.16xlarge',
  'x1.32xlarge',
  'x1e.32xlarge',
]);

export const INTERFACE_TARGET_SOURCE_LIMIT = 10;
export const FULL_HOST_TARGET_SOURCE_LIMIT = 100;

/** `instanceType` undefined (target ENI not attached, or not described): the conservative 10. */
export function interfaceTargetSourceLimit(instanceType: string | undefined): number {
  return instanceType !== undefined && FULL_HOST_TARGET_TYPES.has(instanceType)
    ? FULL_HOST_TARGET_SOURCE_LIMIT
    : INTERFACE_TARGET_SOURCE_LIMIT;
}
