/**
 * The simulator's AWS Organizations against AWS's service model as the SDK v3 ships it (its schema of each shape:
 * member names, enums, the httpError of each error), over raw HTTP so nothing the SDK tolerates goes unnoticed: an
 * answer may only hold members the model names, an account's State and Status only values of their enums, and an
 * error the `__type`, members and HTTP status the model gives it.
 */
import * as organizations from '@aws-sdk/client-organizations';
import { type Simulator, startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';

const MANAGEMENT = '999999999999';
const MEMBER = '444455556666';
const ROOT = 'r-ab12';
const UNIT = 'ou-ab12-workload';

/** A structure's member names in the SDK's schema: [3, namespace, name, traits, memberNames, memberSchemas]. */
function membersOf(schema: unknown): string[] {
  return (schema as [number, string, string, unknown, string[]])[4];
}

/** An error's httpError trait in the SDK's schema: [-3, namespace, name, { error, httpError }, memberNames]. */
function errorOf(schema: unknown): { status: number; members: string[] } {
  const [, , , traits, members] = schema as [number, string, string, { httpError: number }, string[]];
  return { status: traits.httpError, members };
}

describe('ec2-sim Organizations against the service model', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 5,
      accountId: MANAGEMENT,
      accessKeys: { AKIDMEMBER: MEMBER, AKIDOUTSIDER: '123412341234' },
      organization: {
        rootId: ROOT,
        units: [{ id: UNIT, parentId: ROOT }],
        accounts: [
          { id: MEMBER, parentId: UNIT },
          { id: '555566667777', parentId: UNIT, state: 'SUSPENDED' },
          { id: '666677778888', parentId: UNIT, state: 'CLOSED' },
        ],
        pageSize: 2,
      },
    });
  });
  afterAll(() => sim.stop());

  /** One JSON 1.1 call, signed with no key (the simulator's default account, here the management account). */
  async function call(action: string, input: object, accessKeyId?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(sim.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSOrganizationsV20161128.${action}`,
        ...(accessKeyId
          ? {
              authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261205/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0`,
            }
          : {}),
      },
      body: JSON.stringify(input),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const unknownMembers = (value: Record<string, unknown>, schema: unknown) =>
    Object.keys(value).filter((member) => !membersOf(schema).includes(member));

  it('answers ListAccountsForParent with members of the model, State and Status from their enums', async () => {
    const first = await call('ListAccountsForParent', { ParentId: UNIT });
    const second = await call('ListAccountsForParent', { ParentId: UNIT, NextToken: first.body.NextToken });
    const accounts = [...(first.body.Accounts as Record<string, unknown>[]), ...(second.body.Accounts as Record<string, unknown>[])];

    expect([first.status, second.status]).toEqual([200, 200]);
    expect([
      ...unknownMembers(first.body, organizations.ListAccountsForParentResponse$),
      ...unknownMembers(second.body, organizations.ListAccountsForParentResponse$),
    ]).toEqual([]);
    expect(accounts.flatMap((account) => unknownMembers(account, organizations.Account$))).toEqual([]);
    expect(accounts.map((account) => account.State)).toEqual(['ACTIVE', 'SUSPENDED', 'CLOSED']);
    for (const account of accounts) {
      expect(Object.values(organizations.AccountState)).toContain(account.State);
      if (account.Status !== undefined) expect(Object.values(organizations.AccountStatus)).toContain(account.Status);
      expect(Object.values(organizations.AccountJoinedMethod)).toContain(account.JoinedMethod);
      expect(typeof account.JoinedTimestamp).toBe('number');
    }
  });

  it('answers ListChildren and DescribeOrganization with members of the model', async () => {
    const children = await call('ListChildren', { ParentId: ROOT, ChildType: 'ORGANIZATIONAL_UNIT' });
    const described = await call('DescribeOrganization', {});

    expect(unknownMembers(children.body, organizations.ListChildrenResponse$)).toEqual([]);
    expect((children.body.Children as Record<string, unknown>[]).flatMap((child) => unknownMembers(child, organizations.Child$))).toEqual(
      [],
    );
    expect(children.body.Children).toEqual([{ Id: UNIT, Type: organizations.ChildType.ORGANIZATIONAL_UNIT }]);
    expect(unknownMembers(described.body, organizations.DescribeOrganizationResponse$)).toEqual([]);
    expect(unknownMembers(described.body.Organization as Record<string, unknown>, organizations.Organization$)).toEqual([]);
  });

  it.each([
    [
      'AccessDeniedException',
      'a member that is not a delegated administrator',
      () => call('ListChildren', { ParentId: ROOT, ChildType: 'ACCOUNT' }, 'AKIDMEMBER'),
      organizations.AccessDeniedException$,
    ],
    [
      'AWSOrganizationsNotInUseException',
      'an account outside the organization',
      () => call('ListAccountsForParent', { ParentId: ROOT }, 'AKIDOUTSIDER'),
      organizations.AWSOrganizationsNotInUseException$,
    ],
    [
      'ParentNotFoundException',
      'an OU that does not exist',
      () => call('ListAccountsForParent', { ParentId: 'ou-ab12-gone0000' }),
      organizations.ParentNotFoundException$,
    ],
    [
      'InvalidInputException',
      'a ChildType of neither kind',
      () => call('ListChildren', { ParentId: ROOT, ChildType: 'POLICY' }),
      organizations.InvalidInputException$,
    ],
  ])('answers %s to %s with the status and members of the model', async (code, _what, request, schema) => {
    const answer = await request();

    const expected = errorOf(schema);
    expect(answer.status).toBe(expected.status);
    expect(answer.body.__type).toBe(code);
    expect(Object.keys(answer.body).filter((member) => member !== '__type' && !expected.members.includes(member))).toEqual([]);
  });
});
