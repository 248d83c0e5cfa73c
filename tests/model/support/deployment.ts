/**
 * The deployment the model plays with: which filter, VNI, packet length and target pool the functions run with
 * (a redeploy between invocations changes them), and the override tags' allowed and refused values.
 */

/** The targets of the world, one of each kind EC2 has, plus one that is never allowed. */
export const TARGET_ROLES = ['eni-a', 'eni-b', 'nlb', 'gwlb'] as const;
export type TargetRole = (typeof TARGET_ROLES)[number];

export interface Deployment {
  readonly filter: 'a' | 'b';
  readonly virtualNetworkId?: number;
  /** 9001 is beyond AWS's range for NLB targets (1..8500): a deployment the product must refuse or survive. */
  readonly packetLength?: number;
  /** Non-empty. */
  readonly pool: readonly TargetRole[];
}

export const FIRST_DEPLOYMENT: Deployment = { filter: 'a', pool: ['eni-a', 'nlb'] };

/** Override tag values: allowed (MIRROR_ALLOWED_*), or one no setting allows. */
export type OverrideValue = 'allowed' | 'refused';

export interface WorldIds {
  readonly filters: { readonly a: string; readonly b: string; readonly allowed: string; readonly refused: string };
  readonly targets: Readonly<Record<TargetRole, string>> & { readonly refused: string };
}

export const OWNER_ID = 'model-owner';
export const TARGET_TAG_KEY = 'traffic-mirror-target';
export const FILTER_TAG_KEY = 'traffic-mirror-filter';

/** The functions' environment for a deployment (what `sls deploy` would set). */
export function environmentOf(deployment: Deployment, ids: WorldIds): Record<string, string> {
  return {
    MIRROR_OWNER_ID: OWNER_ID,
    EVENT_BUS_NAME: 'mirror-outcomes',
    MIRROR_TARGET_IDS: deployment.pool.map((role) => ids.targets[role]).join(','),
    MIRROR_FILTER_ID: ids.filters[deployment.filter],
    MIRROR_ALLOWED_TARGET_IDS: ids.targets.gwlb,
    MIRROR_ALLOWED_FILTER_IDS: ids.filters.allowed,
    MIRROR_TARGET_TAG_KEY: TARGET_TAG_KEY,
    MIRROR_FILTER_TAG_KEY: FILTER_TAG_KEY,
    ...(deployment.virtualNetworkId !== undefined ? { MIRROR_VNI: String(deployment.virtualNetworkId) } : {}),
    ...(deployment.packetLength !== undefined ? { MIRROR_PACKET_LENGTH: String(deployment.packetLength) } : {}),
  };
}

export function describeDeployment(deployment: Deployment): string {
  const parts = [`filter ${deployment.filter}`, `pool ${deployment.pool.join('+')}`];
  if (deployment.virtualNetworkId !== undefined) parts.push(`vni ${deployment.virtualNetworkId}`);
  if (deployment.packetLength !== undefined) parts.push(`packet ${deployment.packetLength}`);
  return parts.join(', ');
}
