/**
 * AWS Organizations in the simulator, driven through aws-sdk v2's own Organizations client (its JSON 1.1 serializer
 * and error parser, built from AWS's service model, share nothing with the simulator): the tree as ListChildren and
 * ListAccountsForParent show it, paginated, readable only by the management account and a delegated administrator,
 * with the errors the API reference lists for those actions.
 */
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

import Organizations from 'aws-sdk/clients/organizations';
import { type Simulator, startSimulator } from '../src';

const MANAGEMENT = '999999999999';
const SECURITY = '111122223333';
const WORKLOAD = '444455556666';
const NESTED = '555566667777';
const SUSPENDED = '666677778888';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-workload';
const PROD = 'ou-ab12-prod0001';

async function codeOf(call: Promise<unknown>): Promise<{ code: string; statusCode: number }> {
  try {
    await call;
  } catch (error) {
    const { code, statusCode } = error as { code: string; statusCode: number };
    return { code, statusCode };
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('ec2-sim Organizations (JSON 1.1, through aws-sdk v2)', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 3,
      accountId: SECURITY,
      accessKeys: { AKIDMANAGEMENT: MANAGEMENT, AKIDWORKLOAD: WORKLOAD, AKIDOUTSIDE: '123412341234' },
      organization: {
        managementAccountId: MANAGEMENT,
        rootId: ROOT,
        delegatedAdministrators: [SECURITY],
        units: [
          { id: WORKLOADS, parentId: ROOT },
          { id: PROD, parentId: WORKLOADS },
        ],
        accounts: [
          { id: SECURITY, parentId: ROOT },
          { id: WORKLOAD, parentId: WORKLOADS },
          { id: SUSPENDED, parentId: WORKLOADS, state: 'SUSPENDED' },
          { id: NESTED, parentId: PROD },
        ],
        pageSize: 1,
      },
    });
  });
  afterAll(() => sim.stop());

  function organizations(accessKeyId: string, region = 'us-east-1'): Organizations {
    return new Organizations({ endpoint: sim.url, region, credentials: { accessKeyId, secretAccessKey: 'test' }, maxRetries: 0 });
  }

  /** Every page of a listing, following NextToken as a caller must. */
  async function allPages<T>(page: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const answer = await page(token);
      items.push(...answer.items);
      token = answer.next;
      pages += 1;
    } while (token !== undefined);
    return { items, pages };
  }

  it("lists an OU's child OUs and accounts page by page, to a delegated administrator", async () => {
    const client = organizations('test');

    const units = await allPages(async (token) => {
      const answer = await client.listChildren({ ParentId: ROOT, ChildType: 'ORGANIZATIONAL_UNIT', NextToken: token }).promise();
      return { items: answer.Children ?? [], next: answer.NextToken };
    });
    const accounts = await allPages(async (token) => {
      const answer = await client.listAccountsForParent({ ParentId: WORKLOADS, NextToken: token }).promise();
      return { items: answer.Accounts ?? [], next: answer.NextToken };
    });

    expect(units.items).toEqual([{ Id: WORKLOADS, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect(accounts.pages).toBe(2);
    expect(accounts.items.map((account) => [account.Id, account.Status])).toEqual([
      [WORKLOAD, 'ACTIVE'],
      [SUSPENDED, 'SUSPENDED'],
    ]);
    expect(accounts.items[0]).toMatchObject({
      Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-exampleorg1/${WORKLOAD}`,
      JoinedMethod: 'INVITED',
      JoinedTimestamp: new Date('2024-01-01T00:00:00Z'),
    });
  });

  it('answers the management account from any Region (Organizations is global), the root holding it', async () => {
    const answer = await organizations('AKIDMANAGEMENT', 'eu-west-1').listAccountsForParent({ ParentId: ROOT, MaxResults: 20 }).promise();

    expect((answer.Accounts ?? []).map((account) => account.Id)).toEqual([SECURITY, MANAGEMENT]);
    expect(answer.NextToken).toBeUndefined();
  });

  it('refuses a member that is not a delegated administrator (AccessDeniedException) and an outsider (not in use)', async () => {
    expect(await codeOf(organizations('AKIDWORKLOAD').listChildren({ ParentId: ROOT, ChildType: 'ACCOUNT' }).promise())).toEqual({
      code: 'AccessDeniedException',
      statusCode: 403,
    });
    expect(await codeOf(organizations('AKIDOUTSIDE').listAccountsForParent({ ParentId: ROOT }).promise())).toEqual({
      code: 'AWSOrganizationsNotInUseException',
      statusCode: 404,
    });
  });

  it('answers ParentNotFoundException for an OU that does not exist, InvalidInputException for a malformed one', async () => {
    const client = organizations('test');

    expect(await codeOf(client.listAccountsForParent({ ParentId: 'ou-ab12-gone0000' }).promise())).toEqual({
      code: 'ParentNotFoundException',
      statusCode: 404,
    });
    expect(await codeOf(client.listChildren({ ParentId: 'OU-1', ChildType: 'ACCOUNT' }).promise())).toEqual({
      code: 'InvalidInputException',
      statusCode: 400,
    });
    expect(await codeOf(client.listAccountsForParent({ ParentId: ROOT, MaxResults: 21 }).promise())).toEqual({
      code: 'InvalidInputException',
      statusCode: 400,
    });
  });

  it("refuses another listing's NextToken", async () => {
    const client = organizations('test');
    const first = await client.listAccountsForParent({ ParentId: WORKLOADS }).promise();

    const misuse = client.listAccountsForParent({ ParentId: ROOT, NextToken: first.NextToken }).promise();

    expect(await codeOf(misuse)).toEqual({ code: 'InvalidInputException', statusCode: 400 });
  });

  it('counts the calls by action, as for EC2', () => {
    const calls = sim.calls();

    expect(calls.ListAccountsForParent?.ok).toBeGreaterThan(0);
    expect(calls.ListChildren?.errors?.AccessDeniedException).toBe(1);
  });
});
