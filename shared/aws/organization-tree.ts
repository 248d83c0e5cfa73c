/**
 * AWS Organizations' tree, read-only: the ACTIVE accounts under an OU or the root, walking its child OUs breadth
 * first with ListAccountsForParent and ListChildren (ChildType ORGANIZATIONAL_UNIT), every page through the SDK's
 * paginators. Callable by the organization's management account or a delegated administrator (docs/DEPLOY.md,
 * "OUs in the document"). An account counts when its `State` is ACTIVE; an answer without `State` (before AWS added
 * it) falls back to `Status`. Failures come back as domain errors naming the call, the parent and AWS's code
 * (AccessDeniedException, AWSOrganizationsNotInUseException, ParentNotFoundException, TooManyRequestsException).
 */
import { type Account, type OrganizationsClient, paginateListAccountsForParent, paginateListChildren } from '@aws-sdk/client-organizations';
import type { OrganizationTreePort } from '../converge/organization-ports';
import { toDomainError } from './error-mapping';

function isActive(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

export function createOrganizationTree(client: OrganizationsClient): OrganizationTreePort {
  async function accountsOf(parentId: string): Promise<string[]> {
    const found: string[] = [];
    try {
      for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId })) {
        for (const account of page.Accounts ?? []) if (account.Id !== undefined && isActive(account)) found.push(account.Id);
      }
    } catch (error) {
      throw toDomainError(error, `Organizations ListAccountsForParent ${parentId}`);
    }
    return found;
  }

  async function childUnitsOf(parentId: string): Promise<string[]> {
    const found: string[] = [];
    try {
      for await (const page of paginateListChildren({ client }, { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' })) {
        for (const child of page.Children ?? []) if (child.Id !== undefined) found.push(child.Id);
      }
    } catch (error) {
      throw toDomainError(error, `Organizations ListChildren ${parentId}`);
    }
    return found;
  }

  return {
    async activeAccountsUnder(unitId) {
      const accounts = new Set<string>();
      const pending = [unitId];
      // One at a time: Organizations' request rate is low and shared by the whole organization.
      for (let parentId = pending.shift(); parentId !== undefined; parentId = pending.shift()) {
        for (const accountId of await accountsOf(parentId)) accounts.add(accountId);
        pending.push(...(await childUnitsOf(parentId)));
      }
      return [...accounts];
    },
  };
}
