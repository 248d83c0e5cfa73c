import { type ConvergeDeps, sweepInstanceIds } from '../shared/converge';

/** Which instances a command looks at: the ones named with --instance, or the sweep's listing. */
export interface Scope {
  /** 'sweep': every instance tagged for mirroring, named by a managed session, or remembered by the ledger. */
  readonly source: 'instances' | 'sweep';
  readonly instanceIds: readonly string[];
}

export async function resolveScope(named: readonly string[], deps: ConvergeDeps): Promise<Scope> {
  if (named.length > 0) return { source: 'instances', instanceIds: [...named] };
  return { source: 'sweep', instanceIds: await sweepInstanceIds(deps) };
}
