/** Reading plain YAML values with a clear error naming where they were. */
import { StackError } from './stack-model';

export function numberOr(value: unknown, fallback: number): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

export function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new StackError(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}
