import type { InstancePlan } from '../../shared/converge';
import { checkConfiguration } from '../checks/configuration';
import type { Scope } from '../scope';
import type { CliSession } from '../session';
import { type Findings, notFoundInstances } from '../views/findings';

/** The checks plan and status both make before reporting: configuration usable, named instances known. */
export async function findProblems(session: CliSession, plans: readonly InstancePlan[], scope: Scope): Promise<Findings> {
  return {
    region: session.region,
    configuration: await checkConfiguration(session.config, session.deps, session.region),
    notFound: notFoundInstances(plans, scope),
  };
}
