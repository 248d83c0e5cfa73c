/**
 * Packet length bounds from the CreateTrafficMirrorSession API reference: "Valid values are 1-8500", and "for
 * sessions with Network Load Balancer (NLB) Traffic Mirror targets the default PacketLength will be set to 8500".
 */
export const MIN_PACKET_LENGTH = 1;
export const MAX_PACKET_LENGTH = 8500;
/** What AWS stores on a session to an NLB target when no packet length is given. */
export const AWS_DEFAULT_PACKET_LENGTH = 8500;
/**
 * Traffic mirror sessions one account may hold in one Region (docs/AWS-FACTS.md: 10,000, and no quota request
 * raises it). EC2 refuses a create beyond it with TrafficMirrorSessionLimitExceeded.
 */
export const ACCOUNT_SESSION_QUOTA = 10_000;
