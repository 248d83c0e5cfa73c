/** The tags that mark a session as ours (pinned in docs/ARCHITECTURE.md). */
export const OWNER_TAG = 'vpc-mirror-orchestrator:owner';
export const INSTANCE_TAG = 'vpc-mirror-orchestrator:instance-id';
export const RESERVATION_TAG = 'vpc-mirror-orchestrator:reservation';
