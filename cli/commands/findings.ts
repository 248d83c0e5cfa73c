import type { InstancePlan } from '../../shared/converge';
import { scopeFieldsOf } from '../across-scopes';
import { checkConfiguration } from '../checks/configuration';
import type { Scope } from '../scope';
import type { ScopeSession } from '../session';
import { type Findings, notFoundInstances } from '../views/findings';

/** The checks plan and status both make before reporting: configuration usable, named instances known. */
export async function findProblems(scoped: ScopeSession, plans: readonly InstancePlan[], scope: Scope): Promise<Findings> {
  const problems = await checkConfiguration(scoped.config, scoped.deps, scoped.region, scoped.ec2Client);
  const where = scopeFieldsOf(scoped.scope);
  return {
    region: scoped.region,
    configuration: problems.map((problem) => ({ ...problem, ...where })),
    notFound: notFoundInstances(plans, scope),
  };
}
