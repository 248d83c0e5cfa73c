import { categoryOf, Throttler } from '../src/throttling';

describe('throttling categories', () => {
  it.each([
    ['CreateTrafficMirrorSession', {}, 'mutating'],
    ['RunInstances', {}, 'mutating'],
    ['CreateTags', {}, 'tags'],
    ['DeleteTags', {}, 'tags'],
    ['DescribeTrafficMirrorSessions', {}, 'describe'],
    ['DescribeInstances', {}, 'unfilteredDescribe'],
    ['DescribeNetworkInterfaces', {}, 'unfilteredDescribe'],
    ['DescribeInstances', { 'Filter.1.Name': 'tag-key', 'Filter.1.Value.1': 'x' }, 'describe'],
    ['DescribeInstances', { 'InstanceId.1': 'i-0123456789abcdef0' }, 'describe'],
    ['DescribeNetworkInterfaces', { MaxResults: '5' }, 'describe'],
  ])('puts %s %j in the %s bucket', (action, params, category) => {
    expect(categoryOf(action, params)).toBe(category);
  });
});

describe('token buckets', () => {
  let now = 0;
  const clock = () => now;
  const drain = (throttler: Throttler, action: string) => {
    let admitted = 0;
    while (throttler.admit(action, {})) admitted++;
    return admitted;
  };

  beforeEach(() => {
    now = 0;
  });

  it('refills a mutating bucket at 5 per second, times the time scale', () => {
    const throttler = new Throttler(clock);
    throttler.configure({ enabled: true });
    expect(drain(throttler, 'CreateTrafficMirrorSession')).toBe(50);

    now += 1000;
    expect(drain(throttler, 'CreateTrafficMirrorSession')).toBe(5);

    throttler.configure({ enabled: true, timeScale: 10 });
    drain(throttler, 'CreateTrafficMirrorSession');
    now += 1000;
    expect(drain(throttler, 'CreateTrafficMirrorSession')).toBe(50);
    now += 100;
    expect(drain(throttler, 'CreateTrafficMirrorSession')).toBe(5);
  });

  it('never holds more than the bucket size', () => {
    const throttler = new Throttler(clock);
    throttler.configure({ enabled: true });
    now += 3_600_000;
    expect(drain(throttler, 'DescribeTrafficMirrorSessions')).toBe(100);
  });

  it('meters each action on its own by default, or a whole category when asked', () => {
    const perAction = new Throttler(clock);
    perAction.configure({ enabled: true });
    drain(perAction, 'CreateTrafficMirrorSession');
    expect(perAction.admit('DeleteTrafficMirrorSession', {})).toBe(true);

    const perCategory = new Throttler(clock);
    perCategory.configure({ enabled: true, scope: 'category' });
    drain(perCategory, 'CreateTrafficMirrorSession');
    expect(perCategory.admit('DeleteTrafficMirrorSession', {})).toBe(false);
  });

  it('refuses a time scale that is not positive', () => {
    expect(() => new Throttler(clock).configure({ enabled: true, timeScale: 0 })).toThrow(RangeError);
  });
});
