/** Splits a request list into the batch sizes an AWS API accepts per call (filter values, BatchGetItem keys). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
