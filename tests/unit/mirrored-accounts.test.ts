import { parseOrganization } from '../../shared/config/organization';
import { mirroredAccounts } from '../../shared/converge/mirrored-accounts';
import type { OrganizationTreePort } from '../../shared/converge/organization-ports';

const WORKLOADS = 'ou-ab12-workload';
const SANDBOX = 'ou-ab12-sandbox1';

const documentOf = (fields: Record<string, unknown> = {}) =>
  parseOrganization(
    '/mirror/organization',
    JSON.stringify({
      spokeRoleName: 'spoke',
      accounts: ['111122223333'],
      organizationalUnits: [WORKLOADS, SANDBOX],
      excludedAccounts: ['999999999999'],
      regions: { 'eu-west-1': { targetIds: ['tmt-0123456789abcdef0'], filterId: 'tmf-0123456789abcdef0' } },
      ...fields,
    }),
  );

/** A tree answering from `accounts` by OU; an OU absent from it is refused, as Organizations refuses a gone parent. */
function treeOf(accounts: Record<string, string[]>) {
  const asked: string[] = [];
  const tree: OrganizationTreePort = {
    async activeAccountsUnder(unitId) {
      asked.push(unitId);
      const found = accounts[unitId];
      if (found === undefined) throw new Error(`Organizations ListAccountsForParent ${unitId} failed (ParentNotFoundException)`);
      return found;
    },
  };
  return { tree, asked, accounts };
}

const quietLogger = () => ({ error: jest.fn(), info: jest.fn() }) as unknown as Parameters<typeof mirroredAccounts>[0]['logger'];

describe('mirroredAccounts', () => {
  it('lists the accounts, then each OU in order, each account once, the excluded left out', async () => {
    const { tree } = treeOf({ [WORKLOADS]: ['444455556666', '999999999999'], [SANDBOX]: ['444455556666', '555566667777'] });
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(0) }, logger: quietLogger() });

    expect(await accounts.of(documentOf())).toEqual(['111122223333', '444455556666', '555566667777']);
  });

  it('asks nothing of Organizations for a document without OUs', async () => {
    const { tree, asked } = treeOf({});
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(0) }, logger: quietLogger() });

    expect(await accounts.of(documentOf({ organizationalUnits: undefined }))).toEqual(['111122223333']);
    expect(asked).toEqual([]);
  });

  it("resolves again when the document's OUs change, not when only its other fields do", async () => {
    const { tree, asked } = treeOf({ [WORKLOADS]: ['444455556666'], [SANDBOX]: [] });
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(0) }, logger: quietLogger() });

    await accounts.of(documentOf());
    const otherExclusions = await accounts.of(documentOf({ excludedAccounts: ['444455556666'] }));
    await accounts.of(documentOf({ organizationalUnits: [WORKLOADS] }));

    expect(otherExclusions).toEqual(['111122223333']);
    expect(asked).toEqual([WORKLOADS, SANDBOX, WORKLOADS]);
  });

  it('resolves once for concurrent callers, one OU after the other', async () => {
    const { tree, asked } = treeOf({ [WORKLOADS]: ['444455556666'], [SANDBOX]: [] });
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(0) }, logger: quietLogger() });
    const document = documentOf();

    const answers = await Promise.all([accounts.of(document), accounts.of(document), accounts.of(document)]);

    expect(answers).toEqual([0, 1, 2].map(() => ['111122223333', '444455556666']));
    expect(asked).toEqual([WORKLOADS, SANDBOX]);
  });

  it('logs how many accounts each OU holds when its accounts change, not at every resolution', async () => {
    const { tree, accounts: byUnit } = treeOf({ [WORKLOADS]: ['444455556666'], [SANDBOX]: [] });
    let now = 0;
    const logger = quietLogger();
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(now) }, logger, intervalMs: 1_000 });
    const document = documentOf();

    await accounts.of(document);
    now += 1_000;
    await accounts.of(document);
    byUnit[SANDBOX] = ['555566667777'];
    now += 1_000;
    await accounts.of(document);
    byUnit[WORKLOADS] = ['777788889999'];
    now += 1_000;
    await accounts.of(document);

    expect(logger.info).toHaveBeenCalledTimes(3);
    expect(logger.info).toHaveBeenLastCalledWith('organizational units resolved', {
      accountsByOrganizationalUnit: { [WORKLOADS]: 1, [SANDBOX]: 1 },
    });
  });

  it("keeps an OU's last accounts when it fails later, logging the OU, and resolves the others anew", async () => {
    const { tree, accounts: byUnit } = treeOf({ [WORKLOADS]: ['444455556666'], [SANDBOX]: ['555566667777'] });
    let now = 0;
    const logger = quietLogger();
    const accounts = mirroredAccounts({ tree, clock: { now: () => new Date(now) }, logger, intervalMs: 1_000 });
    const document = documentOf();
    await accounts.of(document);

    delete byUnit[WORKLOADS];
    byUnit[SANDBOX] = ['666677778888'];
    now += 1_000;
    const later = await accounts.of(document);

    expect(later).toEqual(['111122223333', '444455556666', '666677778888']);
    expect(logger.error).toHaveBeenCalledWith(
      'organizational unit not resolved',
      expect.objectContaining({ organizationalUnitId: WORKLOADS, keptAccounts: 1 }),
    );
  });
});
