/**
 * The instance-type catalogue: one row per family, as data. Mirroring support from the project's AWS facts sheet
 * (late 2026); each family's sizes are those of the InstanceType enum in AWS's EC2 service model (aws-sdk v2),
 * and for families newer than that model (m8g, c8g, x8g) those of r8g, their Graviton4 sibling the model has.
 * Update the rows, not the code, when AWS changes its lists.
 *   hypervisor      what DescribeInstanceTypes reports for the virtualised sizes (bare metal reports none)
 *   mirrorSource    whether Traffic Mirroring accepts its ENIs as sources (bare-metal sizes never)
 *   sizes           the sizes this simulator knows ('metal' sizes are bare metal)
 */
export type Hypervisor = 'nitro' | 'xen';

interface FamilyRow {
  readonly hypervisor: Hypervisor;
  readonly mirrorSource: boolean;
  readonly sizes: readonly string[];
  /** GiB of memory per vCPU, for plausible DescribeInstanceTypes answers. */
  readonly memoryPerVcpu: number;
}

const BURST = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];
const STD = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'];
const STD_METAL = [...STD, 'metal'];
/** Graviton2 and Graviton3 families: up to 16xlarge. */
const GRAVITON = ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', 'metal'];
const GRAVITON4 = ['medium', ...STD, '48xlarge', 'metal-24xl', 'metal-48xl'];
const INTEL6 = [...STD, '32xlarge', 'metal'];
const AMD6 = [...STD, '32xlarge', '48xlarge', 'metal'];
const INTEL7 = [...STD, '48xlarge', 'metal-24xl', 'metal-48xl'];
const AMD7 = ['medium', ...STD, '32xlarge', '48xlarge', 'metal-48xl'];
const C5 = ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '12xlarge', '18xlarge', '24xlarge', 'metal'];
const XEN_OLD = ['large', 'xlarge', '2xlarge', '4xlarge', '10xlarge', '16xlarge'];

function row(hypervisor: Hypervisor, mirrorSource: boolean, sizes: readonly string[], memoryPerVcpu = 4): FamilyRow {
  return { hypervisor, mirrorSource, sizes, memoryPerVcpu };
}

export const FAMILIES: Readonly<Record<string, FamilyRow>> = {
  // Nitro families that Traffic Mirroring supports.
  t3: row('nitro', true, BURST, 2),
  t3a: row('nitro', true, BURST, 2),
  t4g: row('nitro', true, BURST, 2),
  m5: row('nitro', true, STD_METAL),
  m5a: row('nitro', true, STD),
  m5d: row('nitro', true, STD_METAL),
  m5n: row('nitro', true, STD_METAL),
  m5zn: row('nitro', true, ['large', 'xlarge', '2xlarge', '3xlarge', '6xlarge', '12xlarge', 'metal']),
  m6g: row('nitro', true, GRAVITON),
  m6gd: row('nitro', true, GRAVITON),
  c5: row('nitro', true, C5, 2),
  c5a: row('nitro', true, STD, 2),
  c5d: row('nitro', true, C5, 2),
  c5n: row('nitro', true, ['large', 'xlarge', '2xlarge', '4xlarge', '9xlarge', '18xlarge', 'metal'], 2.6),
  c6g: row('nitro', true, GRAVITON, 2),
  r5: row('nitro', true, STD_METAL, 8),
  r5a: row('nitro', true, STD, 8),
  r5d: row('nitro', true, STD_METAL, 8),
  r5n: row('nitro', true, STD_METAL, 8),
  r6g: row('nitro', true, GRAVITON, 8),
  i3en: row('nitro', true, ['large', 'xlarge', '2xlarge', '3xlarge', '6xlarge', '12xlarge', '24xlarge', 'metal'], 8),
  z1d: row('nitro', true, ['large', 'xlarge', '2xlarge', '3xlarge', '6xlarge', '12xlarge', 'metal'], 8),
  g4dn: row('nitro', true, ['xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', 'metal']),
  p3dn: row('nitro', true, ['24xlarge'], 8),
  d3: row('nitro', true, ['xlarge', '2xlarge', '4xlarge', '8xlarge'], 8),
  // Nitro families on AWS's exclusion list.
  m8g: row('nitro', false, GRAVITON4),
  m6a: row('nitro', false, AMD6),
  m6i: row('nitro', false, INTEL6),
  m6id: row('nitro', false, INTEL6),
  m6idn: row('nitro', false, INTEL6),
  m6in: row('nitro', false, INTEL6),
  m7a: row('nitro', false, AMD7),
  m7g: row('nitro', false, GRAVITON),
  m7gd: row('nitro', false, GRAVITON),
  m7i: row('nitro', false, INTEL7),
  'm7i-flex': row('nitro', false, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge']),
  c8g: row('nitro', false, GRAVITON4, 2),
  c6a: row('nitro', false, AMD6, 2),
  c6gd: row('nitro', false, GRAVITON, 2),
  c6gn: row(
    'nitro',
    false,
    GRAVITON.filter((size) => size !== 'metal'),
    2,
  ),
  c6i: row('nitro', false, INTEL6, 2),
  c6id: row('nitro', false, INTEL6, 2),
  c6in: row('nitro', false, INTEL6, 2),
  c7a: row('nitro', false, AMD7, 2),
  c7g: row('nitro', false, GRAVITON, 2),
  c7gd: row('nitro', false, GRAVITON, 2),
  c7gn: row('nitro', false, GRAVITON, 2),
  c7i: row('nitro', false, INTEL7, 2),
  r8g: row('nitro', false, GRAVITON4, 8),
  r6a: row('nitro', false, AMD6, 8),
  r6i: row('nitro', false, INTEL6, 8),
  r6id: row('nitro', false, INTEL6, 8),
  r6idn: row('nitro', false, INTEL6, 8),
  r6in: row('nitro', false, INTEL6, 8),
  r7a: row('nitro', false, AMD7, 8),
  r7g: row('nitro', false, GRAVITON, 8),
  r7gd: row('nitro', false, GRAVITON, 8),
  r7i: row('nitro', false, INTEL7, 8),
  r7iz: row(
    'nitro',
    false,
    ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '32xlarge', 'metal-16xl', 'metal-32xl'],
    8,
  ),
  x8g: row('nitro', false, GRAVITON4, 16),
  x2idn: row('nitro', false, ['16xlarge', '24xlarge', '32xlarge', 'metal'], 16),
  x2iedn: row('nitro', false, ['xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge', '24xlarge', '32xlarge', 'metal'], 32),
  x2iezn: row('nitro', false, ['2xlarge', '4xlarge', '6xlarge', '8xlarge', '12xlarge', 'metal'], 32),
  i4g: row('nitro', false, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge'], 8),
  i4i: row('nitro', false, [...STD, '32xlarge', 'metal'], 8),
  im4gn: row('nitro', false, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge']),
  is4gen: row('nitro', false, ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'], 6),
  inf2: row('nitro', false, ['xlarge', '8xlarge', '24xlarge', '48xlarge']),
  p5: row('nitro', false, ['48xlarge'], 10),
  trn1: row('nitro', false, ['2xlarge', '32xlarge']),
  trn1n: row('nitro', false, ['32xlarge']),
  hpc6a: row('nitro', false, ['48xlarge']),
  hpc6id: row('nitro', false, ['32xlarge']),
  hpc7a: row('nitro', false, ['12xlarge', '24xlarge', '48xlarge', '96xlarge']),
  hpc7g: row('nitro', false, ['4xlarge', '8xlarge', '16xlarge'], 2),
  // Xen families that Traffic Mirroring supports.
  c4: row('xen', true, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'], 2),
  d2: row('xen', true, ['xlarge', '2xlarge', '4xlarge', '8xlarge'], 8),
  g3: row('xen', true, ['4xlarge', '8xlarge', '16xlarge'], 8),
  g3s: row('xen', true, ['xlarge'], 8),
  h1: row('xen', true, ['2xlarge', '4xlarge', '8xlarge', '16xlarge']),
  i3: row('xen', true, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge', 'metal'], 8),
  m4: row('xen', true, XEN_OLD),
  p2: row('xen', true, ['xlarge', '8xlarge', '16xlarge'], 8),
  p3: row('xen', true, ['2xlarge', '8xlarge', '16xlarge'], 8),
  r4: row('xen', true, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge'], 8),
  x1: row('xen', true, ['16xlarge', '32xlarge'], 16),
  x1e: row('xen', true, ['xlarge', '2xlarge', '4xlarge', '8xlarge', '16xlarge', '32xlarge'], 32),
  // Xen families that it does not.
  t2: row('xen', false, BURST, 2),
  m3: row('xen', false, ['medium', 'large', 'xlarge', '2xlarge'], 4),
  c3: row('xen', false, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'], 2),
  r3: row('xen', false, ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge'], 8),
};

/** The full-host sizes whose network-interface targets accept 100 sources instead of 10. */
export const FULL_HOST_TARGET_TYPES: ReadonlySet<string> = new Set([
  'c5.18xlarge',
  'c5n.18xlarge',
  'm5.24xlarge',
  'm5d.24xlarge',
  'r5.24xlarge',
  'r5d.24xlarge',
  'p3.16xlarge',
  'x1.32xlarge',
  'x1e.32xlarge',
]);

export interface InstanceTypeInfo {
  readonly instanceType: string;
  readonly family: string;
  /** Absent on bare metal, as DescribeInstanceTypes reports it. */
  readonly hypervisor?: Hypervisor;
  readonly bareMetal: boolean;
  readonly mirrorSource: boolean;
  readonly vcpus: number;
  readonly memoryMiB: number;
}

export function lookupInstanceType(instanceType: string): InstanceTypeInfo | undefined {
  const dot = instanceType.indexOf('.');
  const family = instanceType.slice(0, dot);
  const size = instanceType.slice(dot + 1);
  const familyRow = FAMILIES[family];
  if (dot < 1 || !familyRow || !familyRow.sizes.includes(size)) return undefined;
  const bareMetal = size.startsWith('metal');
  const vcpus = vcpusOf(size);
  return {
    instanceType,
    family,
    ...(bareMetal ? {} : { hypervisor: familyRow.hypervisor }),
    bareMetal,
    mirrorSource: familyRow.mirrorSource && !bareMetal,
    vcpus,
    memoryMiB: Math.round(vcpus * familyRow.memoryPerVcpu * 1024),
  };
}

export function allInstanceTypes(): InstanceTypeInfo[] {
  return Object.entries(FAMILIES).flatMap(([family, familyRow]) =>
    familyRow.sizes.map((size) => lookupInstanceType(`${family}.${size}`) as InstanceTypeInfo),
  );
}

function vcpusOf(size: string): number {
  if (size === 'nano' || size === 'micro' || size === 'small' || size === 'medium') return size === 'medium' ? 2 : 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  if (multiple) return 4 * Number(multiple[1]);
  return 96; // metal: the whole host
}
