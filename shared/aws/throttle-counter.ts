/**
 * Counts EC2's throttling answers, every attempt: the SDK retries them quietly, so without this the dashboard
 * would only see the throttles that outlived all retries. Runs inside the retry loop (finalizeRequest, low).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { isThrottling } from './error-mapping';

const MIDDLEWARE_NAME = 'countEc2Throttles';

export function countThrottles(client: EC2Client, onThrottle: () => void): void {
  if (client.middlewareStack.identify().some((entry) => entry.startsWith(MIDDLEWARE_NAME))) return;
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottling(error)) onThrottle();
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: MIDDLEWARE_NAME },
  );
}
