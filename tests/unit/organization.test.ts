import { loadConfig } from '../../shared/config/config';
import { configForRegion, mirroredAccountsOf, parseOrganization, scopesOf } from '../../shared/config/organization';
import { ConfigError } from '../../shared/domain/errors';

const PARAMETER = '/vpc-mirror/organization';
const TARGET_EAST = 'tmt-0123456789abcdef0';
const TARGET_EAST_ZONE = 'tmt-0123456789abcdef1';
const TARGET_WEST = 'tmt-0123456789abcdef2';
const FILTER_EAST = 'tmf-0123456789abcdef0';
const FILTER_WEST = 'tmf-0123456789abcdef1';

const documentOf = (fields: Record<string, unknown> = {}) => ({
  spokeRoleName: 'vpc-mirror-orchestrator-spoke',
  accounts: ['444455556666', '777788889999'],
  regions: {
    'us-east-1': { targetIds: [TARGET_EAST], filterId: FILTER_EAST, zones: { 'use1-az1': { targetIds: [TARGET_EAST_ZONE] } } },
    'eu-west-1': { targetIds: [TARGET_WEST], filterId: FILTER_WEST },
  },
  ...fields,
});

function refusal(text: string): string {
  try {
    parseOrganization(PARAMETER, text);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError, got a document');
}

const refusalOf = (fields: Record<string, unknown>) => refusal(JSON.stringify(documentOf(fields)));

describe('parseOrganization', () => {
  it('reads a minimal document, zones optional and the mutating share at its default', () => {
    const document = parseOrganization(PARAMETER, JSON.stringify(documentOf()));

    expect(document).toEqual({
      spokeRoleName: 'vpc-mirror-orchestrator-spoke',
      accounts: ['444455556666', '777788889999'],
      organizationalUnits: [],
      excludedAccounts: [],
      regions: {
        'us-east-1': {
          targetIds: [TARGET_EAST],
          filterId: FILTER_EAST,
          accountFilterIds: {},
          zones: { 'use1-az1': { targetIds: [TARGET_EAST_ZONE] } },
        },
        'eu-west-1': { targetIds: [TARGET_WEST], filterId: FILTER_WEST, accountFilterIds: {}, zones: {} },
      },
      mutatingShare: 0.5,
    });
  });

  it('lists every (account, Region) as a scope, accounts first', () => {
    const document = parseOrganization(PARAMETER, JSON.stringify(documentOf()));

    expect(scopesOf(document)).toEqual([
      { accountId: '444455556666', region: 'us-east-1' },
      { accountId: '444455556666', region: 'eu-west-1' },
      { accountId: '777788889999', region: 'us-east-1' },
      { accountId: '777788889999', region: 'eu-west-1' },
    ]);
  });

  it('reads OUs (and the root) without accounts, and accounts to exclude', () => {
    const document = parseOrganization(
      PARAMETER,
      JSON.stringify(
        documentOf({
          accounts: undefined,
          organizationalUnits: ['ou-ab12-cd34ef56', 'r-ab12'],
          excludedAccounts: ['777788889999'],
        }),
      ),
    );

    expect(document).toMatchObject({
      accounts: [],
      organizationalUnits: ['ou-ab12-cd34ef56', 'r-ab12'],
      excludedAccounts: ['777788889999'],
    });
  });

  it("mirrors the listed accounts and the OUs' accounts, each once, never an excluded one", () => {
    const document = parseOrganization(
      PARAMETER,
      JSON.stringify(documentOf({ organizationalUnits: ['ou-ab12-cd34ef56'], excludedAccounts: ['111111111111'] })),
    );

    const accounts = mirroredAccountsOf(document, ['777788889999', '111111111111', '222222222222']);

    expect(accounts).toEqual(['444455556666', '777788889999', '222222222222']);
    expect(scopesOf(document, accounts).map((scope) => scope.accountId)).toEqual([
      '444455556666',
      '444455556666',
      '777788889999',
      '777788889999',
      '222222222222',
      '222222222222',
    ]);
  });

  describe('refuses, naming the parameter and the JSON path', () => {
    it.each([
      ['text that is not JSON', '{"accounts": [', /^\/vpc-mirror\/organization: is not JSON \(/],
      ['a document that is not an object', '[]', /^\/vpc-mirror\/organization: \$: must be a JSON object, got \[\]$/],
    ])('%s', (_, text, expected) => {
      expect(refusal(text)).toMatch(expected);
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'a missing spoke role',
        { spokeRoleName: undefined },
        '$.spokeRoleName: must be an IAM role name (1..64 of letters, digits and +=,.@_-), got undefined',
      ],
      [
        'an account id given as a number',
        { accounts: [444455556666] },
        '$.accounts[0]: must be an AWS account id (12 digits, as a string), got 444455556666',
      ],
      ['an account listed twice', { accounts: ['444455556666', '444455556666'] }, '$.accounts: "444455556666" is listed twice'],
      ['no account and no OU', { accounts: [] }, '$.accounts: must name at least one account, or organizationalUnits at least one OU'],
      [
        'no account field and an empty list of OUs',
        { accounts: undefined, organizationalUnits: [] },
        '$.accounts: must name at least one account, or organizationalUnits at least one OU',
      ],
      [
        'an OU id in capitals',
        { organizationalUnits: ['ou-AB12-CD34EF56'] },
        '$.organizationalUnits[0]: "ou-AB12-CD34EF56" is not an OU id (ou- + 4..32 lowercase letters or digits + - + 8..32 more, e.g. ou-ab12-cd34ef56) or a root id (r- + 4..32)',
      ],
      [
        'an OU id without its second part',
        { organizationalUnits: ['ou-ab12-cd34ef56', 'ou-ab12'] },
        '$.organizationalUnits[1]: "ou-ab12" is not an OU id (ou- + 4..32 lowercase letters or digits + - + 8..32 more, e.g. ou-ab12-cd34ef56) or a root id (r- + 4..32)',
      ],
      [
        'an OU given as an object',
        { organizationalUnits: { id: 'ou-ab12-cd34ef56' } },
        '$.organizationalUnits: must be a JSON array, got {"id":"ou-ab12-cd34ef56"}',
      ],
      [
        'an OU listed twice',
        { organizationalUnits: ['ou-ab12-cd34ef56', 'ou-ab12-cd34ef56'] },
        '$.organizationalUnits: "ou-ab12-cd34ef56" is listed twice',
      ],
      [
        'an excluded account that is not an account id',
        { excludedAccounts: ['4444-5555-6666'] },
        '$.excludedAccounts[0]: "4444-5555-6666" is not an AWS account id (12 digits, as a string)',
      ],
      [
        'an account both listed and excluded',
        { organizationalUnits: ['r-ab12'], excludedAccounts: ['111111111111', '777788889999'] },
        '$.excludedAccounts[1]: "777788889999" is also listed in accounts; name it in one of them',
      ],
      ['a misspelt OU field', { organisationalUnits: ['ou-ab12-cd34ef56'] }, '$: unknown field "organisationalUnits"'],
      ['no Region', { regions: {} }, '$.regions: must name at least one Region'],
      [
        'a malformed target id in a Region',
        { regions: { 'us-east-1': { targetIds: ['tmt-1'], filterId: FILTER_EAST } } },
        '$.regions["us-east-1"].targetIds[0]: "tmt-1" is not a traffic mirror target id (tmt- + 8 or 17 lowercase hex)',
      ],
      [
        'a Region without a filter',
        { regions: { 'us-east-1': { targetIds: [TARGET_EAST] } } },
        '$.regions["us-east-1"].filterId: must be a traffic mirror filter id (tmf- + 8 or 17 lowercase hex), got undefined',
      ],
      [
        'a Region name that is not one',
        { regions: { 'US East': { targetIds: [TARGET_EAST], filterId: FILTER_EAST } } },
        '$.regions["US East"]: "US East" is not a Region name (e.g. us-east-1)',
      ],
      [
        'a zone target already in the Region pool',
        {
          regions: {
            'us-east-1': { targetIds: [TARGET_EAST], filterId: FILTER_EAST, zones: { 'use1-az2': { targetIds: [TARGET_EAST] } } },
          },
        },
        `$.regions["us-east-1"].zones["use1-az2"].targetIds[0]: "${TARGET_EAST}" is already in the Region's pool`,
      ],
      [
        "an account's filter that is not a filter id",
        {
          regions: {
            'us-east-1': { targetIds: [TARGET_EAST], filterId: FILTER_EAST, accountFilterIds: { '444455556666': 'tmt-00000000' } },
          },
        },
        '$.regions["us-east-1"].accountFilterIds["444455556666"]: "tmt-00000000" is not a traffic mirror filter id (tmf- + 8 or 17 lowercase hex)',
      ],
      ['a share of nothing', { mutatingShare: 0 }, '$.mutatingShare: must be a number in (0, 1], got 0'],
      ['a share above the whole budget', { mutatingShare: 1.5 }, '$.mutatingShare: must be a number in (0, 1], got 1.5'],
      ['a misspelt field', { mutatingshare: 0.3 }, '$: unknown field "mutatingshare"'],
      ['a session number out of range', { sessionNumber: 40_000 }, '$.sessionNumber: must be an integer 1..32766, got 40000'],
      ['an unknown stop policy', { stopPolicy: 'stop' }, '$.stopPolicy: must be one of detach | keep, got "stop"'],
      [
        'a type both supported and not',
        { supportedTypes: ['m6i'], unsupportedTypes: ['m6i'] },
        '$.unsupportedTypes: "m6i" is also listed in supportedTypes; name it in one of them',
      ],
    ])('%s', (_, fields, message) => {
      expect(refusalOf(fields)).toBe(`${PARAMETER}: ${message}`);
    });
  });
});

describe('configForRegion', () => {
  const base = loadConfig({ MIRROR_TARGET_IDS: 'tmt-00000000', MIRROR_FILTER_ID: 'tmf-00000000', LEDGER_TABLE_NAME: 'ledger' });

  it("uses the Region's pool (its zones' targets too) and filter, and the document's settings over the flat ones", () => {
    const document = parseOrganization(
      PARAMETER,
      JSON.stringify(documentOf({ tagKey: 'mirror-me', stopPolicy: 'keep', sessionNumber: 7 })),
    );

    const config = configForRegion(base, document, 'us-east-1');

    expect(config).toEqual({
      ...base,
      poolTargetIds: [TARGET_EAST, TARGET_EAST_ZONE],
      filterId: FILTER_EAST,
      tagKey: 'mirror-me',
      stopPolicy: 'keep',
      preferredSessionNumber: 7,
    });
  });

  it("uses an account's own filter where the Region names one (RAM does not share filters)", () => {
    const memberFilter = 'tmf-0123456789abcdef9';
    const regions = {
      'eu-west-1': { targetIds: [TARGET_WEST], filterId: FILTER_WEST, accountFilterIds: { '777788889999': memberFilter } },
    };
    const document = parseOrganization(PARAMETER, JSON.stringify(documentOf({ regions })));

    expect(configForRegion(base, document, 'eu-west-1', '777788889999')?.filterId).toBe(memberFilter);
    expect(configForRegion(base, document, 'eu-west-1', '444455556666')?.filterId).toBe(FILTER_WEST);
  });

  it('has nothing for a Region the document does not list', () => {
    const document = parseOrganization(PARAMETER, JSON.stringify(documentOf()));

    expect(configForRegion(base, document, 'ap-south-1')).toBeUndefined();
  });
});
