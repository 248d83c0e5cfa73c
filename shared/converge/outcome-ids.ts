/**
 * Outcome ids derived from what the change is about, not drawn at random: a run killed between an EC2 change and
 * its bookkeeping leaves the change to be announced by whoever resolves it (the retry, the next converge, the
 * sweep), and every one of them announces it under the same outcomeId, so consumers dedupe the repeats.
 */
import { createHash } from 'node:crypto';

/** A UUID-shaped id (version 5 layout) from a name: the same name always gives the same id. */
function nameBasedId(name: string): string {
  const hex = createHash('sha1').update(`vpc-mirror-orchestrator#${name}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The attach made under this reservation (its ClientToken: one session at most). */
export const attachOutcomeId = (reservationId: string): string => nameBasedId(`attach#${reservationId}`);

/** The deletion of this session (a session id is never reused). */
export const detachOutcomeId = (sessionId: string): string => nameBasedId(`detach#${sessionId}`);
