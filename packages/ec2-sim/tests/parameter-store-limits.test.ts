/**
 * The Standard tier's count limit (SSM quotas: 10,000 standard parameters per account and Region), played on the
 * store itself: 10,000 PutParameter calls over HTTP would take the suite's time for no more than this proves. The
 * error's shape over HTTP is the same SsmError path parameter-store.test.ts checks through the SDK.
 */
import { MAX_STANDARD_PARAMETERS, ParameterStore, SsmError } from '../src/ssm/parameter-store';

const NOW = new Date('2026-12-05T08:00:00.000Z');

function codeOf(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    if (error instanceof SsmError) return error.code;
    throw error;
  }
  return undefined;
}

describe('the parameter store at its count limit', () => {
  it('takes 10,000 parameters, refuses a new one past them, and still takes new versions and a freed place', () => {
    const store = new ParameterStore();
    for (let index = 0; index < MAX_STANDARD_PARAMETERS; index++) {
      store.put({ name: `/fleet/p${index}`, value: 'v', type: 'String', overwrite: false }, NOW);
    }

    const beyond = codeOf(() => store.put({ name: '/fleet/one-more', value: 'v', type: 'String', overwrite: false }, NOW));
    const newVersion = store.put({ name: '/fleet/p0', value: 'v2', overwrite: true }, NOW);
    store.delete('/fleet/p1');
    const afterDelete = codeOf(() => store.put({ name: '/fleet/one-more', value: 'v', type: 'String', overwrite: false }, NOW));

    expect(MAX_STANDARD_PARAMETERS).toBe(10_000);
    expect(beyond).toBe('ParameterLimitExceeded');
    expect(newVersion).toBe(2);
    expect(afterDelete).toBeUndefined();
  });
});
