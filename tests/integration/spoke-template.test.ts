/**
 * The spoke (deploy/spoke.yml), the stack a StackSet puts in every member account and Region: valid against AWS's
 * CloudFormation resource schemas, its trust and permission policies as tight as the hub's function roles, and each
 * property check shown to fail on a template loosened to break it.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CLOUDTRAIL_CALLS } from '../../shared/domain/events';
import { CFN_SCHEMAS } from '../support/fixtures-path';
import { checkForwarding, checkSpokeSessionOwnership, checkSpokeTrust, ec2ActionsOf } from '../support/spoke-checks';
import { type CfnTemplate, checkNoWildcardActions, type PolicyStatement, roleStatements } from '../support/template-checks';
import { resolveIntrinsics } from '../support/template-placeholders';
import { loadResourceSchemas } from '../support/template-schemas';

const REPO = path.resolve(__dirname, '../..');
const SPOKE_FILE = path.join(REPO, 'deploy', 'spoke.yml');

/** What a StackSet operator passes (the template has no default for them). */
const DEPLOYMENT_PARAMETERS: Record<string, unknown> = {
  HubAccountId: '111122223333',
  HubFunctionRoleArns: ['arn:aws:iam::111122223333:role/vpc-mirror-orchestrator-prod-stateChange'],
  MirrorTargetIds: ['tmt-0123456789abcdef0', 'tmt-0fedcba9876543210'],
  MirrorFilterIds: ['tmf-0123456789abcdef0'],
  TagKeys: ['traffic-mirror', 'traffic-mirror-target', 'traffic-mirror-filter'],
};

/** Each resource's Properties, intrinsics resolved with the deployment parameters, against its AWS schema. */
function schemaProblems(template: CfnTemplate): string[] {
  const schemas = loadResourceSchemas(CFN_SCHEMAS);
  const deployed: CfnTemplate = { ...template, Parameters: { ...template.Parameters } };
  for (const [name, value] of Object.entries(DEPLOYMENT_PARAMETERS)) {
    (deployed.Parameters as Record<string, { Default?: unknown }>)[name] = { Default: value };
  }
  return Object.entries(deployed.Resources).flatMap(([logicalId, resource]) => {
    if (!schemas.types.has(resource.Type)) return [`${logicalId}: no schema for ${resource.Type}`];
    const properties = resolveIntrinsics(resource.Properties ?? {}, deployed, logicalId);
    return schemas.validate(resource.Type, properties).map((problem) => `${logicalId} (${resource.Type}) ${problem}`);
  });
}

function spoke(): CfnTemplate {
  return parse(readFileSync(SPOKE_FILE, 'utf8')) as CfnTemplate;
}

/** The template with a change made to one of its resources (a deep copy; the file is untouched). */
function loosened(change: (template: CfnTemplate) => void): CfnTemplate {
  const template = spoke();
  change(template);
  return template;
}

function statement(template: CfnTemplate, roleId: string, sid: string): PolicyStatement {
  const found = roleStatements(template.Resources[roleId]).find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`${roleId} has no statement ${sid}`);
  return found;
}

function trust(template: CfnTemplate, roleId: string): Record<string, unknown> {
  const document = template.Resources[roleId]?.Properties?.['AssumeRolePolicyDocument'] as { Statement: Array<Record<string, unknown>> };
  return document.Statement[0] as Record<string, unknown>;
}

/** The hub's grants as written in serverless.yml (InstanceEventsRole; the other function roles share its anchors). */
function hubEc2Actions(): string[] {
  const hub = parse(readFileSync(path.join(REPO, 'serverless.yml'), 'utf8'), { maxAliasCount: -1 }) as {
    resources: CfnTemplate;
  };
  return ec2ActionsOf(roleStatements(hub.resources.Resources['InstanceEventsRole']));
}

describe('the spoke template', () => {
  it('is valid against AWS CloudFormation resource schemas', () => {
    const problems = schemaProblems(spoke());

    expect(Object.keys(spoke().Resources).sort()).toEqual([
      'CloudTrailTagsForwardRule',
      'ForwarderRole',
      'SpokeRole',
      'StateChangeForwardRule',
      'TagChangeForwardRule',
    ]);
    expect(problems).toEqual([]);
  });

  it('shows the schema check failing on an invalid resource', () => {
    const template = loosened((t) => {
      (t.Resources['StateChangeForwardRule']?.Properties as Record<string, unknown>)['State'] = 'ON';
    });

    expect(schemaProblems(template)).toEqual([expect.stringMatching(/^StateChangeForwardRule \(AWS::Events::Rule\) .*State/)]);
  });

  it('makes the spoke role in one Region per account only (IAM is global) and forwards CloudTrail events only when asked', () => {
    const template = spoke();

    expect(template.Resources['SpokeRole']?.Condition).toBe('MakeSpokeRole');
    expect(template.Conditions?.['MakeSpokeRole']).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'RoleRegion' }] });
    expect(template.Resources['CloudTrailTagsForwardRule']?.Condition).toBe('ForwardCloudTrail');
    const pattern = template.Resources['CloudTrailTagsForwardRule']?.Properties?.['EventPattern'] as { detail: { eventName: string[] } };
    expect(pattern.detail.eventName).toEqual([...CLOUDTRAIL_CALLS]);
    expect(template.Conditions?.['ForwardCloudTrail']).toEqual({ 'Fn::Equals': [{ Ref: 'CloudTrailEvents' }, 'true'] });
  });

  it("forwards to the hub's bus in its own Region, or in HubRegion when one hub serves several Regions", () => {
    const busOf = (hubRegion: string) => {
      const deployed = spoke();
      for (const [name, value] of Object.entries({ ...DEPLOYMENT_PARAMETERS, HubRegion: hubRegion })) {
        (deployed.Parameters as Record<string, { Default?: unknown }>)[name] = { Default: value };
      }
      const targets = resolveIntrinsics(deployed.Resources['StateChangeForwardRule']?.Properties?.['Targets'], deployed, 'rule') as Array<{
        Arn: string;
      }>;
      const grant = resolveIntrinsics(statement(deployed, 'ForwarderRole', 'PutEventsOnHubBus').Resource, deployed, 'forwarder');
      return { target: targets[0]?.Arn, grant };
    };

    // Deployed in us-east-1 (the placeholders' Region).
    expect(busOf('')).toEqual({
      target: 'arn:aws:events:us-east-1:111122223333:event-bus/default',
      grant: 'arn:aws:events:us-east-1:111122223333:event-bus/default',
    });
    expect(busOf('eu-west-1')).toEqual({
      target: 'arn:aws:events:eu-west-1:111122223333:event-bus/default',
      grant: 'arn:aws:events:eu-west-1:111122223333:event-bus/default',
    });
    const alwaysHere = loosened((t) => {
      (t.Conditions as Record<string, unknown>)['HubInThisRegion'] = { 'Fn::Equals': ['', ''] };
    });
    expect(checkForwarding(alwaysHere)).toEqual([expect.stringContaining('HubInThisRegion')]);
  });

  it('grants the hub exactly the EC2 actions its own function roles have', () => {
    expect(ec2ActionsOf(roleStatements(spoke().Resources['SpokeRole']))).toEqual(hubEc2Actions());
  });

  describe('policies', () => {
    it('hold on the template as written', () => {
      const template = spoke();

      expect(checkSpokeTrust(template)).toEqual([]);
      expect(checkSpokeSessionOwnership(template)).toEqual([]);
      expect(checkForwarding(template)).toEqual([]);
      expect(checkNoWildcardActions(template)).toEqual([]);
    });

    it('fail when the spoke role trusts anyone', () => {
      const template = loosened((t) => {
        trust(t, 'SpokeRole')['Principal'] = { AWS: '*' };
      });

      expect(checkSpokeTrust(template)).toEqual([expect.stringContaining('want only { AWS: Ref HubFunctionRoleArns }')]);
    });

    it("fail when the spoke role trusts the hub's whole account", () => {
      const template = loosened((t) => {
        trust(t, 'SpokeRole')['Principal'] = { AWS: [{ Ref: 'HubFunctionRoleArns' }, 'arn:aws:iam::111122223333:root'] };
      });

      expect(checkSpokeTrust(template)).toHaveLength(1);
    });

    it('fail when sessions may be deleted without our owner tag', () => {
      const template = loosened((t) => {
        delete statement(t, 'SpokeRole', 'DeleteOnlyOwnedSessions').Condition;
      });

      expect(checkSpokeSessionOwnership(template)).toEqual([expect.stringContaining('ec2:DeleteTrafficMirrorSession without')]);
    });

    it('fail when sessions may be created without our owner tag', () => {
      const template = loosened((t) => {
        delete statement(t, 'SpokeRole', 'CreateOnlyOwnedSessions').Condition;
      });

      expect(checkSpokeSessionOwnership(template)).toEqual([expect.stringContaining('creating sessions without')]);
    });

    it('fail when tags may be written outside session creation', () => {
      const template = loosened((t) => {
        const tagging = statement(t, 'SpokeRole', 'TagSessionsOnCreateOnly');
        delete tagging.Condition;
        tagging.Resource = { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:*/*' };
      });

      expect(checkSpokeSessionOwnership(template)).toHaveLength(2);
    });

    it('fail on a wildcard action or a mutating action on every resource', () => {
      const template = loosened((t) => {
        statement(t, 'SpokeRole', 'DescribeMirroringState').Action = ['ec2:Describe*', 'ec2:DeleteTrafficMirrorSession'];
      });

      expect(checkNoWildcardActions(template)).toEqual([
        expect.stringContaining('wildcard action ec2:Describe*'),
        expect.stringContaining("Resource '*' for ec2:Describe*, ec2:DeleteTrafficMirrorSession (only ec2:Describe* may)"),
      ]);
    });

    it('fail when a rule sends elsewhere than the hub bus, or the forwarder may put events anywhere', () => {
      const template = loosened((t) => {
        const targets = t.Resources['TagChangeForwardRule']?.Properties?.['Targets'] as Array<Record<string, unknown>>;
        (targets[0] as Record<string, unknown>)['Arn'] = 'arn:aws:events:us-east-1:999999999999:event-bus/default';
        statement(t, 'ForwarderRole', 'PutEventsOnHubBus').Resource = '*';
      });

      expect(checkForwarding(template)).toEqual([
        expect.stringContaining('TagChangeForwardRule.Targets[0]: Arn'),
        expect.stringContaining('ForwarderRole.Statement[0]'),
      ]);
    });

    it('fail when the forwarder role may be assumed by another service', () => {
      const template = loosened((t) => {
        trust(t, 'ForwarderRole')['Principal'] = { Service: ['events.amazonaws.com', 'lambda.amazonaws.com'] };
      });

      expect(checkForwarding(template)).toEqual([expect.stringContaining('want events.amazonaws.com')]);
    });
  });
});
