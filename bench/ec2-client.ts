/**
 * The bench's own EC2 client on a local cloud's simulator: what launches and tags the fleets. Its calls are the
 * bench's, not the product's; 10 attempts ride out the throttling the measured burst causes.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { LocalCloud } from '../local/cloud';

/** `accessKeyId`: whose account it acts in (the local cloud maps keys to accounts). */
export function benchEc2Client(cloud: LocalCloud, accessKeyId = 'bench'): EC2Client {
  return new EC2Client({
    endpoint: cloud.ec2Endpoint,
    region: cloud.region,
    credentials: { accessKeyId, secretAccessKey: 'bench' },
    maxAttempts: 10,
  });
}
