/**
 * The security properties of the spoke template (deploy/spoke.yml), read raw (intrinsics as written): who may assume
 * the spoke role, what it may do to sessions, and where the forwarding rules send events. Each check returns its
 * violations, one readable line each; [] means it holds. Pure, so the tests also prove each fails when loosened.
 */
import { type CfnResource, type CfnTemplate, OWNER_TAG_KEY, type PolicyStatement, roleStatements } from './template-checks';

const HUB_ROLES = { Ref: 'HubFunctionRoleArns' };
/** The hub's bus: in HubRegion when given, else in the stack's own Region (condition HubInThisRegion). */
const HUB_BUS = {
  'Fn::Sub': [
    'arn:${AWS::Partition}:events:${HubBusRegion}:${HubAccountId}:event-bus/${HubEventBusName}',
    { HubBusRegion: { 'Fn::If': ['HubInThisRegion', { Ref: 'AWS::Region' }, { Ref: 'HubRegion' }] } },
  ],
};
const HUB_IN_THIS_REGION = { 'Fn::Equals': [{ Ref: 'HubRegion' }, ''] };
const OWNER_ID = { Ref: 'OwnerId' };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

type TrustStatement = PolicyStatement & { Principal?: unknown };

function trustStatements(role: CfnResource | undefined): TrustStatement[] {
  const document = role?.Properties?.['AssumeRolePolicyDocument'] as { Statement?: TrustStatement | TrustStatement[] } | undefined;
  return asList(document?.Statement);
}

/** The spoke role trusts the hub's function roles and nothing else (no account root, no service, no '*'). */
export function checkSpokeTrust(template: CfnTemplate, roleId = 'SpokeRole'): string[] {
  const statements = trustStatements(template.Resources[roleId]);
  if (statements.length === 0) return [`${roleId}: no trust policy`];
  return statements.flatMap((statement, index) => {
    const where = `${roleId}.AssumeRolePolicyDocument.Statement[${index}]`;
    if (statement.Effect !== 'Allow') return [];
    const problems: string[] = [];
    if (!same(statement.Principal, { AWS: HUB_ROLES })) {
      problems.push(`${where}: Principal ${JSON.stringify(statement.Principal)}, want only { AWS: Ref HubFunctionRoleArns }`);
    }
    if (!same(asList(statement.Action), ['sts:AssumeRole']))
      problems.push(`${where}: Action ${JSON.stringify(statement.Action)}, want sts:AssumeRole`);
    return problems;
  });
}

/**
 * Sessions are created only with our owner tag and deleted only when they carry it; tags are written only when
 * creating a session, and only on sessions. The owner id is the stack's OwnerId parameter.
 */
export function checkSpokeSessionOwnership(template: CfnTemplate, roleId = 'SpokeRole'): string[] {
  const statements = roleStatements(template.Resources[roleId]);
  if (statements.length === 0) return [`${roleId}: no permissions`];
  const condition = (statement: PolicyStatement, key: string) => statement.Condition?.['StringEquals']?.[key];
  return statements.flatMap((statement, index) => {
    if (statement.Effect !== 'Allow') return [];
    const where = `${roleId}.Statement[${index}]`;
    const actions = asList(statement.Action);
    const resources = JSON.stringify(statement.Resource ?? null);
    const problems: string[] = [];
    if (actions.includes('ec2:DeleteTrafficMirrorSession') && !same(condition(statement, `aws:ResourceTag/${OWNER_TAG_KEY}`), OWNER_ID)) {
      problems.push(`${where}: ec2:DeleteTrafficMirrorSession without StringEquals aws:ResourceTag/${OWNER_TAG_KEY} = Ref OwnerId`);
    }
    if (
      actions.includes('ec2:CreateTrafficMirrorSession') &&
      (resources.includes('traffic-mirror-session/') || resources.includes('"*"'))
    ) {
      if (!same(condition(statement, `aws:RequestTag/${OWNER_TAG_KEY}`), OWNER_ID)) {
        problems.push(`${where}: creating sessions without StringEquals aws:RequestTag/${OWNER_TAG_KEY} = Ref OwnerId`);
      }
    }
    if (actions.includes('ec2:CreateTags')) {
      if (condition(statement, 'ec2:CreateAction') !== 'CreateTrafficMirrorSession') {
        problems.push(`${where}: ec2:CreateTags without StringEquals ec2:CreateAction = CreateTrafficMirrorSession`);
      }
      if (!/^\{"Fn::Sub":"arn:[^"]*:traffic-mirror-session\/\*"\}$/.test(resources)) {
        problems.push(`${where}: ec2:CreateTags must be limited to traffic-mirror-session/*`);
      }
    }
    return problems;
  });
}

/** Every rule sends to the hub's bus through the forwarder role, which may only put events on that bus. */
export function checkForwarding(template: CfnTemplate, forwarderId = 'ForwarderRole'): string[] {
  const problems: string[] = [];
  if (!same(template.Conditions?.['HubInThisRegion'], HUB_IN_THIS_REGION))
    problems.push(`HubInThisRegion: ${JSON.stringify(template.Conditions?.['HubInThisRegion'])}, want HubRegion empty`);
  const rules = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::Events::Rule');
  if (rules.length === 0) problems.push('no AWS::Events::Rule');
  for (const [ruleId, rule] of rules) {
    const targets = asList(rule.Properties?.['Targets'] as Array<{ Arn?: unknown; RoleArn?: unknown }> | undefined);
    if (targets.length === 0) problems.push(`${ruleId}: no target`);
    for (const [index, target] of targets.entries()) {
      if (!same(target.Arn, HUB_BUS))
        problems.push(`${ruleId}.Targets[${index}]: Arn ${JSON.stringify(target.Arn)}, want the hub bus (in HubRegion, or this Region)`);
      if (!same(target.RoleArn, { 'Fn::GetAtt': [forwarderId, 'Arn'] })) {
        problems.push(`${ruleId}.Targets[${index}]: RoleArn ${JSON.stringify(target.RoleArn)}, want the ${forwarderId}`);
      }
    }
  }
  const forwarder = template.Resources[forwarderId];
  for (const [index, statement] of trustStatements(forwarder).entries()) {
    if (statement.Effect === 'Allow' && !same(statement.Principal, { Service: 'events.amazonaws.com' })) {
      problems.push(
        `${forwarderId}.AssumeRolePolicyDocument.Statement[${index}]: Principal ${JSON.stringify(statement.Principal)}, want events.amazonaws.com`,
      );
    }
  }
  const grants = roleStatements(forwarder);
  if (grants.length === 0) problems.push(`${forwarderId}: no permissions`);
  for (const [index, statement] of grants.entries()) {
    if (statement.Effect !== 'Allow') continue;
    if (!same(asList(statement.Action), ['events:PutEvents']) || !same(statement.Resource, HUB_BUS)) {
      problems.push(
        `${forwarderId}.Statement[${index}]: may ${JSON.stringify(statement.Action)} on ${JSON.stringify(statement.Resource)}, want only events:PutEvents on the hub bus`,
      );
    }
  }
  return problems;
}

/** The ec2: actions a role's statements allow. */
export function ec2ActionsOf(statements: readonly PolicyStatement[]): string[] {
  const actions = statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => asList(statement.Action))
    .filter((action) => action.startsWith('ec2:'));
  return [...new Set(actions)].sort();
}
