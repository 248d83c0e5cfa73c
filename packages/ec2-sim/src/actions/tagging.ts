/** Tag validation and application, shared by CreateTags/DeleteTags and every TagSpecification. */

import type { Instance, Tags } from '../model/state';
import { Ec2Error } from '../protocol/errors';
import { type Params, type TagSpec, tagSpecifications } from '../protocol/query';
import type { ActionContext } from './context';

export function validateTags(ctx: ActionContext, tags: TagSpec[]): void {
  for (const { key, value } of tags) {
    if (key.length === 0 || key.length > 128) {
      throw new Ec2Error('InvalidParameterValue', `Tag key must be 1 to 128 characters: '${key}'`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new Ec2Error('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
    }
    if (value !== undefined && value.length > 256) {
      throw new Ec2Error('InvalidParameterValue', `Tag value for key '${key}' exceeds 256 characters`);
    }
  }
  if (tags.length > ctx.limits.tagsPerResource) throw tagLimit(ctx);
}

/** Sets the tags; returns the keys whose value changed (for the Tag Change event). */
export function setTags(ctx: ActionContext, target: Tags, tags: TagSpec[]): string[] {
  const newKeys = new Set(tags.map((t) => t.key).filter((k) => !target.has(k)));
  if (target.size + newKeys.size > ctx.limits.tagsPerResource) throw tagLimit(ctx);
  const changed: string[] = [];
  for (const { key, value = '' } of tags) {
    if (target.get(key) !== value) changed.push(key);
    target.set(key, value);
  }
  return changed;
}

/** A tag without a value removes the key; with a value, only when the value matches. No tags: remove all. */
export function removeTags(target: Tags, tags: TagSpec[]): string[] {
  const doomed =
    tags.length === 0
      ? [...target.keys()]
      : tags.filter(({ key, value }) => target.has(key) && (value === undefined || target.get(key) === value)).map(({ key }) => key);
  for (const key of doomed) target.delete(key);
  return [...new Set(doomed)];
}

export function instanceTagsChanged(ctx: ActionContext, instance: Instance, changedKeys: string[]): void {
  if (changedKeys.length === 0) return;
  instance.tagVersion++;
  ctx.events.instanceTagsChanged(instance, changedKeys);
}

/** TagSpecification.N grouped by resource type; types outside `allowed` are refused as EC2 refuses them. */
export function tagsByResourceType(ctx: ActionContext, params: Params, allowed: string[]): Map<string, TagSpec[]> {
  const byType = new Map<string, TagSpec[]>();
  for (const spec of tagSpecifications(params)) {
    if (!allowed.includes(spec.resourceType)) {
      throw new Ec2Error('InvalidParameterValue', `'${spec.resourceType}' is not a valid taggable resource type for this operation.`);
    }
    validateTags(ctx, spec.tags);
    byType.set(spec.resourceType, [...(byType.get(spec.resourceType) ?? []), ...spec.tags]);
  }
  return byType;
}

function tagLimit(ctx: ActionContext): Ec2Error {
  return new Ec2Error('TagLimitExceeded', `The maximum number of Tags for a resource has been reached (${ctx.limits.tagsPerResource}).`);
}
