import { loadConfig } from '../../shared/config/config';
import { ConfigError, PermanentError } from '../../shared/domain/errors';

const POOL_TARGET = 'tmt-0123456789abcdef0';
const SHORT_TARGET = 'tmt-0123abcd';
const FILTER = 'tmf-0123456789abcdef0';

const minimalEnv = {
  MIRROR_TARGET_IDS: POOL_TARGET,
  MIRROR_FILTER_ID: FILTER,
  LEDGER_TABLE_NAME: 'vpc-mirror-ledger',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, got a configuration');
}

describe('loadConfig', () => {
  it('fills every default from the architecture contract', () => {
    const config = loadConfig(minimalEnv);

    expect(config).toEqual({
      tagKey: 'traffic-mirror',
      tagValue: 'true',
      poolTargetIds: [POOL_TARGET],
      filterId: FILTER,
      tableName: 'vpc-mirror-ledger',
      eventBusName: 'default',
      ownerId: 'vpc-mirror-orchestrator',
      eniScope: 'all',
      preferredSessionNumber: 1,
      virtualNetworkId: undefined,
      packetLength: undefined,
      targetOverrideTagKey: 'traffic-mirror-target',
      untilTagKey: 'traffic-mirror-until',
      filterOverrideTagKey: 'traffic-mirror-filter',
      allowedOverrideTargetIds: [],
      allowedOverrideFilterIds: [],
      extraSupportedTypes: [],
      extraUnsupportedTypes: [],
      stopPolicy: 'detach',
      historyTtlDays: 90,
    });
  });

  it('reads every variable when set', () => {
    const config = loadConfig({
      ...minimalEnv,
      MIRROR_TAG_KEY: 'mirror',
      MIRROR_TAG_VALUE: 'yes',
      MIRROR_TARGET_IDS: ` ${POOL_TARGET} ,${SHORT_TARGET}, `,
      EVENT_BUS_NAME: 'mirror-outcomes',
      MIRROR_OWNER_ID: 'prod-eu',
      MIRROR_ENI_SCOPE: 'primary',
      MIRROR_SESSION_NUMBER: '100',
      MIRROR_VNI: '0',
      MIRROR_PACKET_LENGTH: '8500',
      MIRROR_TARGET_TAG_KEY: 'mirror-target',
      MIRROR_FILTER_TAG_KEY: 'mirror-filter',
      MIRROR_ALLOWED_TARGET_IDS: 'tmt-0fffffffffffffff0',
      MIRROR_ALLOWED_FILTER_IDS: 'tmf-0eeeeeee, tmf-0dddddddddddddddd',
      MIRROR_SUPPORTED_TYPES: 'M6I, m7i.large',
      MIRROR_UNSUPPORTED_TYPES: 't3.nano',
      MIRROR_STOP_POLICY: 'keep',
      HISTORY_TTL_DAYS: '30',
    });

    expect(config).toMatchObject({
      tagKey: 'mirror',
      tagValue: 'yes',
      poolTargetIds: [POOL_TARGET, SHORT_TARGET],
      eventBusName: 'mirror-outcomes',
      ownerId: 'prod-eu',
      eniScope: 'primary',
      preferredSessionNumber: 100,
      virtualNetworkId: 0,
      packetLength: 8500,
      targetOverrideTagKey: 'mirror-target',
      filterOverrideTagKey: 'mirror-filter',
      allowedOverrideTargetIds: ['tmt-0fffffffffffffff0'],
      allowedOverrideFilterIds: ['tmf-0eeeeeee', 'tmf-0dddddddddddddddd'],
      extraSupportedTypes: ['m6i', 'm7i.large'],
      extraUnsupportedTypes: ['t3.nano'],
      stopPolicy: 'keep',
      historyTtlDays: 30,
    });
  });

  it('treats blank optional variables as unset', () => {
    const config = loadConfig({ ...minimalEnv, MIRROR_VNI: '', MIRROR_STOP_POLICY: '  ', MIRROR_ALLOWED_TARGET_IDS: '' });

    expect(config).toMatchObject({ virtualNetworkId: undefined, stopPolicy: 'detach', allowedOverrideTargetIds: [] });
  });

  it('is a PermanentError, so nobody retries a bad deployment', () => {
    expect(configError({})).toBeInstanceOf(PermanentError);
  });

  it.each([
    ['MIRROR_TARGET_IDS', undefined, 'MIRROR_TARGET_IDS: is required'],
    ['MIRROR_FILTER_ID', undefined, 'MIRROR_FILTER_ID: is required'],
    ['LEDGER_TABLE_NAME', '', 'LEDGER_TABLE_NAME: is required'],
    ['MIRROR_VNI', 'abc', 'MIRROR_VNI: must be an integer 0..16777215, got "abc"'],
    ['MIRROR_VNI', '16777216', 'MIRROR_VNI: must be an integer 0..16777215, got "16777216"'],
    ['MIRROR_VNI', '-1', 'MIRROR_VNI: must be an integer 0..16777215, got "-1"'],
    ['MIRROR_SESSION_NUMBER', '0', 'MIRROR_SESSION_NUMBER: must be an integer 1..32766, got "0"'],
    ['MIRROR_SESSION_NUMBER', '1.5', 'MIRROR_SESSION_NUMBER: must be an integer 1..32766, got "1.5"'],
    ['MIRROR_PACKET_LENGTH', '8501', 'MIRROR_PACKET_LENGTH: must be an integer 1..8500, got "8501"'],
    ['MIRROR_PACKET_LENGTH', '0', 'MIRROR_PACKET_LENGTH: must be an integer 1..8500, got "0"'],
    ['HISTORY_TTL_DAYS', '1e3', 'HISTORY_TTL_DAYS: must be an integer 1..3650, got "1e3"'],
    ['MIRROR_ENI_SCOPE', 'secondary', 'MIRROR_ENI_SCOPE: must be one of all | primary, got "secondary"'],
    ['MIRROR_STOP_POLICY', 'Delete', 'MIRROR_STOP_POLICY: must be one of detach | keep, got "Delete"'],
    ['MIRROR_TARGET_IDS', ' , ,', 'MIRROR_TARGET_IDS: must name at least one target'],
    ['MIRROR_TARGET_IDS', `${POOL_TARGET}, ${POOL_TARGET}`, `MIRROR_TARGET_IDS: "${POOL_TARGET}" is listed twice`],
    ['MIRROR_TARGET_IDS', 'tmt-0123456789ABCDEF0', 'MIRROR_TARGET_IDS: "tmt-0123456789ABCDEF0" is not a traffic mirror target id'],
    ['MIRROR_TARGET_IDS', 'tmt-0123456789abcdef', 'MIRROR_TARGET_IDS: "tmt-0123456789abcdef" is not a traffic mirror target id'],
    ['MIRROR_FILTER_ID', 'tmt-0123456789abcdef0', 'MIRROR_FILTER_ID: must be a traffic mirror filter id'],
    ['MIRROR_ALLOWED_FILTER_IDS', 'tmf-0123456z', 'MIRROR_ALLOWED_FILTER_IDS: "tmf-0123456z" is not a traffic mirror filter id'],
    ['MIRROR_SUPPORTED_TYPES', 'm5.large.x', 'MIRROR_SUPPORTED_TYPES: "m5.large.x" is not an instance type or family'],
    ['LEDGER_TABLE_NAME', 'a b', 'LEDGER_TABLE_NAME: must be a DynamoDB table name'],
    ['MIRROR_TAG_KEY', 'k'.repeat(129), 'MIRROR_TAG_KEY: must be a tag key of 1..128 characters'],
    ['MIRROR_FILTER_TAG_KEY', 'aws:mirror', 'MIRROR_FILTER_TAG_KEY: must be a tag key of 1..128 characters, not starting with aws:'],
  ])('refuses %s=%j, naming the variable', (variable, value, message) => {
    const error = configError({ ...minimalEnv, [variable]: value });

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(message)).toBe(true);
  });

  it.each([
    [{ MIRROR_TARGET_TAG_KEY: 'traffic-mirror' }, 'MIRROR_TARGET_TAG_KEY'],
    [{ MIRROR_FILTER_TAG_KEY: 'traffic-mirror' }, 'MIRROR_FILTER_TAG_KEY'],
    [{ MIRROR_FILTER_TAG_KEY: 'traffic-mirror-target' }, 'MIRROR_FILTER_TAG_KEY'],
    [{ MIRROR_UNTIL_TAG_KEY: 'traffic-mirror' }, 'MIRROR_UNTIL_TAG_KEY'],
    [{ MIRROR_SUPPORTED_TYPES: 'm6i', MIRROR_UNSUPPORTED_TYPES: 'M6I' }, 'MIRROR_UNSUPPORTED_TYPES'],
  ])('refuses contradicting variables %j', (env, variable) => {
    expect(configError({ ...minimalEnv, ...env }).variable).toBe(variable);
  });

  it('returns a frozen configuration', () => {
    expect(Object.isFrozen(loadConfig(minimalEnv))).toBe(true);
  });

  it("does not require the pool and filter of an organization's hub: each Region's come from the document", () => {
    const hub = loadConfig({ LEDGER_TABLE_NAME: 'vpc-mirror-ledger', MIRROR_ORGANIZATION_PARAMETER: '/vpc-mirror/organization' });

    expect([hub.poolTargetIds, hub.filterId]).toEqual([[], '']);
    expect(configError({ LEDGER_TABLE_NAME: 'vpc-mirror-ledger', MIRROR_ORGANIZATION_PARAMETER: ' ' }).message).toMatch(
      /^MIRROR_TARGET_IDS: is required/,
    );
  });
});
