/** The sweep's settings: defaults when unset or blank, and a bad value fails naming its variable. */

import { DEFAULT_SWEEP_SETTINGS, loadSweepSettings } from '../../shared/config/sweep-settings';
import { ConfigError } from '../../shared/domain/errors';

describe('loadSweepSettings', () => {
  it('takes the defaults when nothing (or blank) is set', () => {
    // The documented defaults (docs/RELIABILITY.md), spelled out: comparing with DEFAULT_SWEEP_SETTINGS alone would pass whatever it held.
    const documented = { maxInstancesPerRun: 500, batchSize: 10, mutationsPerSecond: 2, mutationBurst: 10, timeReserveMs: 60_000 };

    expect(DEFAULT_SWEEP_SETTINGS).toEqual(documented);
    expect(loadSweepSettings({})).toEqual(documented);
    expect(loadSweepSettings({ SWEEP_MAX_INSTANCES: ' ' })).toEqual(documented);
  });

  it('reads every variable, the time reserve in seconds', () => {
    expect(
      loadSweepSettings({
        SWEEP_MAX_INSTANCES: '200',
        SWEEP_BATCH_SIZE: '5',
        SWEEP_MUTATIONS_PER_SECOND: '3',
        SWEEP_MUTATION_BURST: '6',
        SWEEP_TIME_RESERVE_SECONDS: '45',
      }),
    ).toEqual({ maxInstancesPerRun: 200, batchSize: 5, mutationsPerSecond: 3, mutationBurst: 6, timeReserveMs: 45_000 });
  });

  it.each([
    ['SWEEP_MAX_INSTANCES', '0'],
    ['SWEEP_BATCH_SIZE', '101'],
    ['SWEEP_MUTATIONS_PER_SECOND', '2.5'],
    ['SWEEP_MUTATION_BURST', 'lots'],
    ['SWEEP_TIME_RESERVE_SECONDS', '-1'],
  ])('refuses %s=%s with a message naming the variable', (variable, value) => {
    const load = () => loadSweepSettings({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${variable}: must be an integer`));
  });
});
