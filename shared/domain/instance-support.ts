/**
 * Which instance types can be traffic mirror sources. The tables are the ones in docs/AWS-FACTS.md (late 2026) kept as
 * data: when AWS changes its lists, edit a table here, or add types at deploy time with MIRROR_SUPPORTED_TYPES /
 * MIRROR_UNSUPPORTED_TYPES without a release. EC2's own NetworkInterfaceNotSupported stays the final word.
 */
import type { InstanceTypeFacts } from './types';

export type Support = { supported: true } | { supported: false; reason: 'unsupported-instance-type' | 'bare-metal'; detail: string };

/** Nitro families AWS excludes as mirror sources. */
export const NITRO_EXCLUDED_FAMILIES: ReadonlySet<string> = new Set([
  'm8g',
  'm6a',
  'm6i',
  'm6id',
  'm6idn',
  'm6in',
  'm7a',
  'm7g',
  'm7gd',
  'm7i',
  'm7i-flex',
  'c8g',
  'c6a',
  'c6gd',
  'c6gn',
  'c6i',
  'c6id',
  'c6in',
  'c7a',
  'c7g',
  'c7gd',
  'c7gn',
  'c7i',
  'r8g',
  'r6a',
  'r6i',
  'r6id',
  'r6idn',
  'r6in',
  'r7a',
  'r7g',
  'r7gd',
  'r7i',
  'r7iz',
  'x8g',
  'x2idn',
  'x2iedn',
  'x2iezn',
  'i4g',
  'i4i',
  'im4gn',
  'is4gen',
  'inf2',
  'p5',
  'trn1',
  'trn1n',
  'hpc6a',
  'hpc6id',
  'hpc7a',
  'hpc7g',
]);

/** Xen (non-Nitro) families that ARE supported. Every other Xen family is not. */
export const XEN_SUPPORTED_FAMILIES: ReadonlySet<string> = new Set([
  'c4',
  'd2',
  'g3',
  'g3s',
  'h1',
  'i3',
  'm4',
  'p2',
  'p3',
  'r4',
  'x1',
  'x1e',
]);

/**
 * Xen families known NOT to be supported. Only consulted when DescribeInstanceTypes gave no hypervisor, so that the
 * common previous-generation types are still refused up front instead of failing at CreateTrafficMirrorSession.
 */
export const XEN_UNSUPPORTED_FAMILIES: ReadonlySet<string> = new Set([
  't1',
  't2',
  'm1',
  'm2',
  'm3',
  'c1',
  'c3',
  'cc2',
  'cg1',
  'cr1',
  'g2',
  'hi1',
  'hs1',
  'i2',
  'r3',
]);

/** 'M7i-Flex.2XLarge' -> 'm7i-flex': the part before the dot, lowercase. */
export function instanceFamily(instanceType: string): string {
  return normalizeType(instanceType).split('.')[0] ?? '';
}

function normalizeType(instanceType: string): string {
  return instanceType.trim().toLowerCase();
}

function isMetalSize(instanceType: string): boolean {
  const size = normalizeType(instanceType).split('.')[1];
  return size?.startsWith('metal') === true;
}

const SUPPORTED: Support = { supported: true };

/**
 * Decides, in this order:
 * 1. an exact type named in the overrides (unsupported wins when named in both);
 * 2. bare metal (facts.bareMetal, or a `.metal*` size) is refused. A family named in MIRROR_SUPPORTED_TYPES does
 *    not lift this: support for `m5` says nothing about `m5.metal`; name the exact metal type to allow it;
 * 3. a family named in the overrides (unsupported wins);
 * 4. the Nitro exclusion table;
 * 5. hypervisor xen: supported only when in the Xen table; hypervisor nitro: supported;
 * 6. no hypervisor known (type not described): known unsupported Xen families are refused; everything else (known
 *    Nitro families such as m5, c5, r5, t3, and families we have never heard of) is attempted, because EC2 answers
 *    NetworkInterfaceNotSupported for a wrong guess and that becomes a permanent refusal: a wrong optimistic guess
 *    costs one API call, a wrong pessimistic guess would silently deny mirroring.
 */
export function classifyInstanceType(
  instanceType: string,
  facts: InstanceTypeFacts | undefined,
  overrides: { extraSupported: readonly string[]; extraUnsupported: readonly string[] },
): Support {
  const type = normalizeType(instanceType);
  const family = instanceFamily(type);
  const extraSupported = new Set(overrides.extraSupported.map(normalizeType));
  const extraUnsupported = new Set(overrides.extraUnsupported.map(normalizeType));

  if (extraUnsupported.has(type)) {
    return unsupported(`${type} is listed as unsupported by configuration (MIRROR_UNSUPPORTED_TYPES)`);
  }
  if (extraSupported.has(type)) return SUPPORTED;

  if (facts?.bareMetal === true || isMetalSize(type)) {
    return {
      supported: false,
      reason: 'bare-metal',
      detail: `${type} is a bare-metal size, which AWS does not support as a traffic mirror source; use a virtualized size`,
    };
  }

  if (extraUnsupported.has(family)) {
    return unsupported(`family ${family} is listed as unsupported by configuration (MIRROR_UNSUPPORTED_TYPES)`);
  }
  if (extraSupported.has(family)) return SUPPORTED;

  if (NITRO_EXCLUDED_FAMILIES.has(family)) {
    return unsupported(
      `family ${family} is on AWS's list of Nitro families that cannot be traffic mirror sources; ` +
        'if AWS has since added support, add it to MIRROR_SUPPORTED_TYPES',
    );
  }

  switch (facts?.hypervisor) {
    case 'xen':
      return XEN_SUPPORTED_FAMILIES.has(family) ? SUPPORTED : unsupportedXen(type, family);
    case 'nitro':
      return SUPPORTED;
    case undefined:
      return XEN_UNSUPPORTED_FAMILIES.has(family) ? unsupportedXen(type, family) : SUPPORTED;
  }
}

function unsupported(detail: string): Support {
  return { supported: false, reason: 'unsupported-instance-type', detail };
}

function unsupportedXen(type: string, family: string): Support {
  return unsupported(
    `${type} runs on the Xen hypervisor and family ${family} is not one of the Xen families AWS supports as a ` +
      'traffic mirror source; move to a supported type (e.g. a current Nitro type such as m5 or t3)',
  );
}
