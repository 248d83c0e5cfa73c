/** Handlers fail at module load, naming the variable, when their configuration is wrong: before any event. */
const HANDLERS = ['instance-events', 'cloudtrail-tags', 'sweep'];
const saved = { ...process.env };

function loadHandler(name: string): unknown {
  let loaded: unknown;
  jest.isolateModules(() => {
    loaded = require(`../../functions/${name}`);
  });
  return loaded;
}

beforeEach(() => {
  process.env = {
    ...saved,
    MIRROR_TARGET_IDS: 'tmt-0123456789abcdef0',
    MIRROR_FILTER_ID: 'tmf-0123456789abcdef0',
    LEDGER_TABLE_NAME: 'ledger',
    AWS_REGION: 'eu-west-1',
  };
});

afterAll(() => {
  process.env = saved;
});

describe('handler start-up', () => {
  it.each(HANDLERS)('%s fails at load with a ConfigError naming MIRROR_FILTER_ID when it is missing', (name) => {
    delete process.env.MIRROR_FILTER_ID;

    let thrown: unknown;
    try {
      loadHandler(name);
    } catch (error) {
      thrown = error;
    }

    // Compared by name: isolateModules gives each load its own copy of the error classes.
    expect(thrown).toMatchObject({
      name: 'ConfigError',
      variable: 'MIRROR_FILTER_ID',
      message: expect.stringMatching(/^MIRROR_FILTER_ID:/),
    });
  });

  it.each(HANDLERS)('%s loads and exports a handler when the configuration is valid', (name) => {
    const module = loadHandler(name) as { handler?: unknown };

    expect(typeof module.handler).toBe('function');
  });
});
