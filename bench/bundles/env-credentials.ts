/**
 * What-if stand-in for @aws-sdk/credential-provider-node, aliased in by the bench's "env credentials" variant only.
 * Lambda always sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so a function never needs the
 * rest of the default chain (SSO, STS web identity, ini files, IMDS), whose clients are a large part of the bundle.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (): ReturnType<typeof fromEnv> => fromEnv();
