/**
 * The sweep's own settings (environment of the sweep function), read at module load like the main configuration:
 * a bad value fails the cold start with a ConfigError naming the variable. All optional.
 */
import { ConfigError } from '../domain/errors';
import type { Env } from './config';

export interface SweepSettings {
  /** Instances converged per run at most; the rest wait for the next run (a cursor remembers where we stopped). */
  readonly maxInstancesPerRun: number;
  /** Instances converged per step; the time left is checked between steps. */
  readonly batchSize: number;
  /** Our mutating EC2 calls per second, sustained (EC2 refills 5/s per account: leave room for the handlers). */
  readonly mutationsPerSecond: number;
  /** Mutating calls allowed in a burst. */
  readonly mutationBurst: number;
  /** No new step starts with less than this much of the Lambda timeout left. */
  readonly timeReserveMs: number;
}

export const DEFAULT_SWEEP_SETTINGS: SweepSettings = {
  maxInstancesPerRun: 500,
  batchSize: 10,
  mutationsPerSecond: 2,
  mutationBurst: 10,
  timeReserveMs: 60_000,
};

const VARIABLES = {
  SWEEP_MAX_INSTANCES: { min: 1, max: 100_000 },
  SWEEP_BATCH_SIZE: { min: 1, max: 100 },
  SWEEP_MUTATIONS_PER_SECOND: { min: 1, max: 50 },
  SWEEP_MUTATION_BURST: { min: 1, max: 50 },
  SWEEP_TIME_RESERVE_SECONDS: { min: 0, max: 900 },
} as const;

function readInteger(env: Env, variable: keyof typeof VARIABLES, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const { min, max } = VARIABLES[variable];
  const value = Number(raw.trim());
  if (!/^\d{1,9}$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(variable, `must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function loadSweepSettings(env: Env): SweepSettings {
  const d = DEFAULT_SWEEP_SETTINGS;
  return Object.freeze({
    maxInstancesPerRun: readInteger(env, 'SWEEP_MAX_INSTANCES', d.maxInstancesPerRun),
    batchSize: readInteger(env, 'SWEEP_BATCH_SIZE', d.batchSize),
    mutationsPerSecond: readInteger(env, 'SWEEP_MUTATIONS_PER_SECOND', d.mutationsPerSecond),
    mutationBurst: readInteger(env, 'SWEEP_MUTATION_BURST', d.mutationBurst),
    timeReserveMs: readInteger(env, 'SWEEP_TIME_RESERVE_SECONDS', d.timeReserveMs / 1000) * 1000,
  });
}
