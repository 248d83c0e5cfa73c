/** Who the deployed functions are in the local cloud's world: the tags they read and write, from serverless.yml. */
import type { LocalCloud } from '../../local/cloud';
import type { InvariantOptions } from '../../local/oracle';
import { OWNER_TAG } from '../../shared/aws/ownership';

export interface Identity {
  readonly tagKey: string;
  readonly tagValue: string;
  readonly ownerId: string;
}

export function identityOf(cloud: LocalCloud): Identity {
  const environment = cloud.stack.functions[0]?.environment ?? {};
  const ownerId = environment['MIRROR_OWNER_ID'];
  if (!ownerId) throw new Error('serverless.yml gives the functions no MIRROR_OWNER_ID');
  return {
    tagKey: environment['MIRROR_TAG_KEY'] || 'traffic-mirror',
    tagValue: environment['MIRROR_TAG_VALUE'] || 'true',
    ownerId,
  };
}

/** What the oracle checks a burst's world against: our ownership tag, the opt-in tag and the target pool. */
export function invariantOptionsOf(identity: Identity, poolTargetIds: readonly string[]): InvariantOptions {
  return { ownerTagKey: OWNER_TAG, ownerId: identity.ownerId, tagKey: identity.tagKey, tagValue: identity.tagValue, poolTargetIds };
}
