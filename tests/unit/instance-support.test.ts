import { classifyInstanceType, instanceFamily } from '../../shared/domain/instance-support';
import type { InstanceTypeFacts } from '../../shared/domain/types';

const noOverrides = { extraSupported: [], extraUnsupported: [] };
const nitro = (instanceType: string): InstanceTypeFacts => ({ instanceType, hypervisor: 'nitro', bareMetal: false });
const xen = (instanceType: string): InstanceTypeFacts => ({ instanceType, hypervisor: 'xen', bareMetal: false });
const metal = (instanceType: string): InstanceTypeFacts => ({ instanceType, bareMetal: true });

describe('instanceFamily', () => {
  it.each([
    ['m5.large', 'm5'],
    ['M7i-Flex.2XLarge', 'm7i-flex'],
    ['c5n', 'c5n'],
  ])('reads %s as family %s', (type, family) => {
    expect(instanceFamily(type)).toBe(family);
  });
});

describe('classifyInstanceType', () => {
  it.each([
    ['m5.large', nitro('m5.large')],
    ['t3.micro', nitro('t3.micro')],
    ['c4.large', xen('c4.large')],
    ['x1e.xlarge', xen('x1e.xlarge')],
  ])('supports %s', (type, facts) => {
    expect(classifyInstanceType(type, facts, noOverrides)).toEqual({ supported: true });
  });

  it.each([
    ['t2.micro', xen('t2.micro')],
    ['m3.medium', xen('m3.medium')],
    ['t1.micro', xen('t1.micro')],
  ])('refuses %s: a Xen family not in the supported table', (type, facts) => {
    const support = classifyInstanceType(type, facts, noOverrides);

    expect(support).toEqual({ supported: false, reason: 'unsupported-instance-type', detail: expect.stringContaining('Xen') });
  });

  it.each(['m6i.large', 'm7i-flex.large', 'c7g.xlarge', 'hpc7g.16xlarge'])(
    'refuses %s: a Nitro family on the exclusion list, even though the hypervisor is nitro',
    (type) => {
      const support = classifyInstanceType(type, nitro(type), noOverrides);

      expect(support).toEqual({ supported: false, reason: 'unsupported-instance-type', detail: expect.stringContaining('Nitro families') });
    },
  );

  it.each([
    ['described as bare metal', 'm5.metal', metal('m5.metal')],
    ['from its size alone', 'i3.metal', undefined],
    ['even when described as nitro', 'c5.metal', nitro('c5.metal')],
    ['with a suffixed metal size', 'm7i.metal-24xl', undefined],
  ] as const)('refuses bare metal %s: %s', (_, type, facts) => {
    expect(classifyInstanceType(type, facts, noOverrides)).toMatchObject({ supported: false, reason: 'bare-metal' });
  });

  it('refuses a type described as bare metal whatever its size is called', () => {
    expect(classifyInstanceType('u-6tb1.112xlarge', metal('u-6tb1.112xlarge'), noOverrides)).toMatchObject({ reason: 'bare-metal' });
  });

  describe('when the type could not be described', () => {
    it.each(['m5.large', 'c5.xlarge', 'r5.2xlarge', 't3.nano', 'm4.large', 'c4.large'])('supports %s from the tables', (type) => {
      expect(classifyInstanceType(type, undefined, noOverrides)).toEqual({ supported: true });
    });

    it.each(['t2.micro', 'm3.medium', 'c3.large', 'm6i.large'])('refuses %s from the tables', (type) => {
      expect(classifyInstanceType(type, undefined, noOverrides)).toMatchObject({ supported: false, reason: 'unsupported-instance-type' });
    });

    it('attempts a family it has never heard of, leaving the final word to EC2', () => {
      expect(classifyInstanceType('z9q.large', undefined, noOverrides)).toEqual({ supported: true });
    });
  });

  describe('configuration overrides', () => {
    it('supports a family added by configuration', () => {
      expect(classifyInstanceType('m6i.large', nitro('m6i.large'), { extraSupported: ['m6i'], extraUnsupported: [] })).toEqual({
        supported: true,
      });
    });

    it('refuses a family removed by configuration', () => {
      const support = classifyInstanceType('m5.large', nitro('m5.large'), { extraSupported: [], extraUnsupported: ['m5'] });

      expect(support).toMatchObject({
        supported: false,
        reason: 'unsupported-instance-type',
        detail: expect.stringContaining('MIRROR_UNSUPPORTED_TYPES'),
      });
    });

    it('lets an exact type beat its family', () => {
      const overrides = { extraSupported: ['m6i.large'], extraUnsupported: ['m6i'] };

      expect(classifyInstanceType('m6i.large', nitro('m6i.large'), overrides)).toEqual({ supported: true });
      expect(classifyInstanceType('m6i.xlarge', nitro('m6i.xlarge'), overrides)).toMatchObject({ supported: false });
    });

    it('lets an exact unsupported type beat an exact supported one', () => {
      const overrides = { extraSupported: ['m5.large'], extraUnsupported: ['m5.large'] };

      expect(classifyInstanceType('m5.large', nitro('m5.large'), overrides)).toMatchObject({ supported: false });
    });

    it('allows an exact bare-metal type, but not through its family', () => {
      expect(classifyInstanceType('m5.metal', metal('m5.metal'), { extraSupported: ['m5.metal'], extraUnsupported: [] })).toEqual({
        supported: true,
      });
      expect(classifyInstanceType('m5.metal', metal('m5.metal'), { extraSupported: ['m5'], extraUnsupported: [] })).toMatchObject({
        reason: 'bare-metal',
      });
    });

    it('compares types without regard to case', () => {
      expect(classifyInstanceType('M6I.Large', undefined, { extraSupported: ['m6i'], extraUnsupported: [] })).toEqual({ supported: true });
    });
  });
});
