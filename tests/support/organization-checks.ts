/**
 * The hub's organization grants in a packaged template: the functions assume only the spoke role (by name, any
 * account), read only the organization document's parameter, and the default bus admits PutEvents only from the
 * organization. Each check returns the problems it finds, empty when the property holds.
 */
import { type CfnTemplate, type PolicyStatement, resourcesOfType, roleStatements } from './template-checks';
import { DEFAULT_PLACEHOLDER_CONTEXT, resolveIntrinsics } from './template-placeholders';

const actionsOf = (statement: PolicyStatement): string[] => ([] as string[]).concat(statement.Action ?? []);

/** Function roles (trusted by Lambda). */
function functionRoles(template: CfnTemplate) {
  return resourcesOfType(template, 'AWS::IAM::Role').filter(([, role]) =>
    JSON.stringify(role.Properties?.['AssumeRolePolicyDocument']).includes('lambda.amazonaws.com'),
  );
}

/** Every function role may sts:AssumeRole exactly arn:<partition>:iam::*:role/<spokeRoleName>, unconditioned by nothing else. */
export function checkSpokeAssumption(template: CfnTemplate, spokeRoleArn: string): string[] {
  return functionRoles(template).flatMap(([id, role]) => {
    const grants = roleStatements(role).filter((statement) => actionsOf(statement).some((action) => action.startsWith('sts:')));
    if (grants.length === 0) return [`${id}: may not assume the spoke role`];
    return grants.flatMap((statement) => {
      const problems: string[] = [];
      if (statement.Effect !== 'Allow') problems.push(`${id}: ${statement.Sid} is not an Allow`);
      if (actionsOf(statement).join(',') !== 'sts:AssumeRole')
        problems.push(`${id}: ${statement.Sid} grants ${actionsOf(statement).join(', ')}`);
      const resources = ([] as unknown[]).concat(statement.Resource ?? []);
      if (resources.length !== 1 || resources[0] !== spokeRoleArn) {
        problems.push(`${id}: ${statement.Sid} may assume ${JSON.stringify(statement.Resource)}, want only ${spokeRoleArn}`);
      }
      return problems;
    });
  });
}

/** Every function role may ssm:GetParameter only the parameter `parameterArn` (intrinsics evaluated), and no other SSM action. */
export function checkDocumentRead(template: CfnTemplate, parameterArn: string): string[] {
  return functionRoles(template).flatMap(([id, role]) => {
    const grants = roleStatements(role).filter((statement) => actionsOf(statement).some((action) => action.startsWith('ssm:')));
    if (grants.length === 0) return [`${id}: may not read the organization document`];
    return grants.flatMap((statement) => {
      const problems: string[] = [];
      if (actionsOf(statement).join(',') !== 'ssm:GetParameter')
        problems.push(`${id}: ${statement.Sid} grants ${actionsOf(statement).join(', ')}`);
      const resource = resolveIntrinsics(statement.Resource, template, `${id}.${statement.Sid}`);
      if (resource !== parameterArn)
        problems.push(`${id}: ${statement.Sid} may read ${JSON.stringify(resource)}, want only ${parameterArn}`);
      return problems;
    });
  });
}

/** The default bus's policy admits PutEvents from anyone only under aws:PrincipalOrgID = the organization. */
export function checkOrganizationBusPolicy(template: CfnTemplate, organizationId: string): string[] {
  const policies = resourcesOfType(template, 'AWS::Events::EventBusPolicy');
  if (policies.length === 0) return ['no AWS::Events::EventBusPolicy'];
  return policies.flatMap(([id, policy]) => {
    const properties = resolveIntrinsics(policy.Properties ?? {}, template, id) as {
      EventBusName?: string;
      Statement?: { Effect?: string; Principal?: unknown; Action?: unknown; Condition?: Record<string, Record<string, unknown>> };
    };
    const statement = properties.Statement ?? {};
    const problems: string[] = [];
    if (properties.EventBusName !== 'default') problems.push(`${id}: on bus ${JSON.stringify(properties.EventBusName)}, want default`);
    if (JSON.stringify(statement.Action) !== '"events:PutEvents"') problems.push(`${id}: allows ${JSON.stringify(statement.Action)}`);
    const conditions = statement.Condition ?? {};
    const orgIds = Object.entries(conditions).flatMap(([operator, keys]) =>
      operator === 'StringEquals' && keys['aws:PrincipalOrgID'] !== undefined ? [keys['aws:PrincipalOrgID']] : [],
    );
    if (JSON.stringify(orgIds) !== JSON.stringify([organizationId])) {
      problems.push(`${id}: admits ${JSON.stringify(statement.Principal)} without aws:PrincipalOrgID = ${organizationId}`);
    }
    return problems;
  });
}

const SESSION_GRANTS = ['CreateSessionOnAnyEni', 'CreateOnlyOwnedSessions', 'TagSessionsOnCreateOnly', 'DeleteOnlyOwnedSessions'];
const ID_GRANTS = ['CreateSessionToConfiguredTargets', 'CreateSessionWithConfiguredFilters'];

/**
 * Where each function role may make, tag and delete sessions of its own account, and name targets and filters:
 * only in `region` (the deployment's Region for one account; '*' for the hub of an organization, which serves every
 * Region of its document), always in this account for the ENIs and sessions. Resolved with the template's
 * parameter defaults and the placeholders' account and Region.
 */
export function checkSessionGrantRegions(template: CfnTemplate, region: string): string[] {
  return functionRoles(template).flatMap(([id, role]) =>
    roleStatements(role).flatMap((statement) => {
      const sid = String(statement.Sid ?? '');
      const own = SESSION_GRANTS.includes(sid);
      if (!own && !ID_GRANTS.includes(sid)) return [];
      const resources = ([] as unknown[]).concat(resolveIntrinsics(statement.Resource, template, `${id}.${sid}`) ?? []);
      const account = own ? DEFAULT_PLACEHOLDER_CONTEXT.accountId : '*';
      return resources
        .filter((resource) => {
          const [, , , arnRegion, arnAccount] = String(resource).split(':');
          return arnRegion !== region || arnAccount !== account;
        })
        .map((resource) => `${id}: ${sid} grants ${JSON.stringify(resource)}, want Region ${region} and account ${account}`);
    }),
  );
}

const ORGANIZATION_UNIT_READS = ['organizations:ListAccountsForParent', 'organizations:ListChildren'];

/**
 * The hub's reads of AWS Organizations (the document's OUs): with the template's parameters, every function role of
 * a hub (`hub` true) may call exactly ListChildren and ListAccountsForParent, on exactly `resources` (OU and root
 * ARNs, never '*'), and nothing else of Organizations; a role of one account (`hub` false) nothing of Organizations.
 */
export function checkOrganizationUnitReads(template: CfnTemplate, hub: boolean, resources: readonly string[]): string[] {
  return functionRoles(template).flatMap(([id, role]) => {
    const grants = roleStatements(role, template).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('organizations:')),
    );
    if (!hub) return grants.map((statement) => `${id}: ${statement.Sid} grants ${actionsOf(statement).join(', ')} outside a hub`);
    if (grants.length === 0) return [`${id}: may not list the organization's OUs`];
    return grants.flatMap((statement) => {
      const problems: string[] = [];
      if (statement.Effect !== 'Allow') problems.push(`${id}: ${statement.Sid} is not an Allow`);
      const actions = [...actionsOf(statement)].sort();
      if (actions.join() !== ORGANIZATION_UNIT_READS.join()) problems.push(`${id}: ${statement.Sid} grants ${actions.join(', ')}`);
      const granted = ([] as unknown[]).concat(resolveIntrinsics(statement.Resource, template, `${id}.${statement.Sid}`) ?? []);
      if (JSON.stringify(granted) !== JSON.stringify(resources)) {
        problems.push(`${id}: ${statement.Sid} may read ${JSON.stringify(granted)}, want only ${JSON.stringify(resources)}`);
      }
      if (statement.Condition !== undefined) problems.push(`${id}: ${statement.Sid} carries a condition`);
      return problems;
    });
  });
}
