/** mirrorctl's own AWS adapter for the organization report: the account the credentials act in. */
import { sts } from '../../shared/aws/clients';
import { callerAccountId } from '../../shared/aws/spoke-clients';

/** The account the credentials act in: the hub's, whose home-scope ledger items carry no prefix. */
export function credentialsAccountId(): Promise<string> {
  return callerAccountId(sts());
}
