/** What one model run played and found: printed per seed and written to .ci-out/model-last-run.json. */
export interface ModelFigures {
  seed: number;
  /** fast-check runs (command sequences) played for this seed, shrinking included. */
  runs: number;
  operations: number;
  instances: number;
  configurationChanges: number;
  /** Deployments the configuration refused at start (the previous one kept running). */
  refusedConfigurations: number;
  ledgerLosses: number;
  quotasPlayed: number;
  consistencyWindows: number;
  outcomeFailures: number;
  handMadeSessions: number;
  /** Interfaces an operator attached to, or detached from, an instance after its launch. */
  interfacesAttached: number;
  interfacesDetached: number;
  crashes: number;
  batchInvocations: number;
  sweeps: number;
  deliveries: number;
  duplicates: number;
  reorders: number;
  drops: number;
  deadLettered: number;
  violations: number;
}

export function emptyFigures(seed: number): ModelFigures {
  return {
    seed,
    runs: 0,
    operations: 0,
    instances: 0,
    configurationChanges: 0,
    refusedConfigurations: 0,
    ledgerLosses: 0,
    quotasPlayed: 0,
    consistencyWindows: 0,
    outcomeFailures: 0,
    handMadeSessions: 0,
    interfacesAttached: 0,
    interfacesDetached: 0,
    crashes: 0,
    batchInvocations: 0,
    sweeps: 0,
    deliveries: 0,
    duplicates: 0,
    reorders: 0,
    drops: 0,
    deadLettered: 0,
    violations: 0,
  };
}

/** Adds one run's figures into a seed's total. */
export function addFigures(total: ModelFigures, run: ModelFigures): void {
  for (const key of Object.keys(run) as Array<keyof ModelFigures>) {
    if (key !== 'seed') total[key] += run[key];
  }
}
