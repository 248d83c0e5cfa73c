/** CreateTags/DeleteTags on any simulated resource; instance tag changes emit Tag Change on Resource. */

import type { Instance, Tags } from '../model/state';
import { Ec2Error, missingParameter } from '../protocol/errors';
import { list, tags as parseTags } from '../protocol/query';
import type { ActionContext, ActionHandler } from './context';
import { type ResourceKind, resolve } from './lookup';
import { instanceTagsChanged, removeTags, setTags, validateTags } from './tagging';

const KIND_BY_PREFIX: Array<[string, ResourceKind]> = [
  ['i-', 'instance'],
  ['eni-', 'networkInterface'],
  ['tmt-', 'trafficMirrorTarget'],
  ['tmf-', 'trafficMirrorFilter'],
  ['tms-', 'trafficMirrorSession'],
  ['subnet-', 'subnet'],
  ['vpc-', 'vpc'],
];

interface Taggable {
  readonly tags: Tags;
  readonly instance?: Instance;
}

function taggable(ctx: ActionContext, resourceId: string): Taggable {
  const kind = KIND_BY_PREFIX.find(([prefix]) => resourceId.startsWith(prefix))?.[1];
  if (!kind) throw new Ec2Error('InvalidID', `The ID '${resourceId}' is not valid`);
  const resource = resolve(ctx, kind, resourceId);
  return kind === 'instance' ? { tags: resource.tags, instance: resource as Instance } : { tags: resource.tags };
}

function resourcesOf(ctx: ActionContext, resourceIds: string[]): Taggable[] {
  if (resourceIds.length === 0) throw missingParameter('ResourceId');
  return resourceIds.map((id) => taggable(ctx, id));
}

export const createTags: ActionHandler = (ctx, params) => {
  const resourceIds = list(params, 'ResourceId');
  const tags = parseTags(params);
  if (tags.length === 0) throw missingParameter('Tag');
  validateTags(ctx, tags);
  const resources = resourcesOf(ctx, resourceIds);
  for (const resource of resources) {
    const added = new Set(tags.map((t) => t.key).filter((key) => !resource.tags.has(key)));
    if (resource.tags.size + added.size > ctx.limits.tagsPerResource) {
      throw new Ec2Error('TagLimitExceeded', `The maximum number of Tags for a resource has been reached (${ctx.limits.tagsPerResource}).`);
    }
  }
  for (const resource of resources) {
    if (resource.instance) ctx.state.laggingInstances.beforeChange(resource.instance, ctx.now());
    const changed = setTags(ctx, resource.tags, tags);
    if (resource.instance) instanceTagsChanged(ctx, resource.instance, changed);
  }
  ctx.events.tagsApiCalled('CreateTags', resourceIds, tags, ctx.requestId);
  return { return: true };
};

export const deleteTags: ActionHandler = (ctx, params) => {
  const resourceIds = list(params, 'ResourceId');
  const tags = parseTags(params);
  const resources = resourcesOf(ctx, resourceIds);
  for (const resource of resources) {
    if (resource.instance) ctx.state.laggingInstances.beforeChange(resource.instance, ctx.now());
    const removed = removeTags(resource.tags, tags);
    if (resource.instance) instanceTagsChanged(ctx, resource.instance, removed);
  }
  ctx.events.tagsApiCalled('DeleteTags', resourceIds, tags, ctx.requestId);
  return { return: true };
};
