/** Create/Describe/DeleteTrafficMirrorFilter(s). Filter rules and network services are not simulated: filters have none. */

import type { TrafficMirrorFilter } from '../model/state';
import { Ec2Error } from '../protocol/errors';
import { list, required } from '../protocol/query';
import { type ActionHandler, listedNow } from './context';
import { type FilterFields, filterMatcher, paginate } from './describe';
import { resolve, resolveAll } from './lookup';
import { filterXml } from './serialize';
import { setTags, tagsByResourceType } from './tagging';

export const createTrafficMirrorFilter: ActionHandler = (ctx, params) => {
  const tags = tagsByResourceType(ctx, params, ['traffic-mirror-filter']).get('traffic-mirror-filter') ?? [];
  if (ctx.state.filters.size >= ctx.limits.filtersPerAccount) {
    throw new Ec2Error('TrafficMirrorFilterLimitExceeded', 'The maximum number of traffic mirror filters has been reached.');
  }
  const filter: TrafficMirrorFilter = {
    trafficMirrorFilterId: ctx.ids.next('trafficMirrorFilter'),
    ...(params.Description !== undefined ? { description: params.Description } : {}),
    networkServices: [],
    tags: new Map(),
  };
  setTags(ctx, filter.tags, tags);
  ctx.state.filters.set(filter.trafficMirrorFilterId, filter);
  ctx.state.register(filter.trafficMirrorFilterId, ctx.now());
  return { trafficMirrorFilter: filterXml(filter), clientToken: params.ClientToken };
};

export const deleteTrafficMirrorFilter: ActionHandler = (ctx, params) => {
  const filter = resolve(ctx, 'trafficMirrorFilter', required(params, 'TrafficMirrorFilterId'));
  if (ctx.state.filterInUse(filter.trafficMirrorFilterId)) {
    throw new Ec2Error('TrafficMirrorFilterInUse', `Traffic mirror filter ${filter.trafficMirrorFilterId} is in use by a session.`);
  }
  ctx.state.removeFilter(filter.trafficMirrorFilterId, ctx.now());
  return { trafficMirrorFilterId: filter.trafficMirrorFilterId };
};

export const describeTrafficMirrorFilters: ActionHandler = (ctx, params) => {
  const ids = list(params, 'TrafficMirrorFilterId');
  const candidates =
    ids.length > 0
      ? resolveAll(ctx, 'trafficMirrorFilter', ids)
      : listedNow(ctx, 'trafficMirrorFilter', ctx.state.filters.values(), (f) => f.trafficMirrorFilterId);
  const fields: FilterFields<TrafficMirrorFilter> = {
    'traffic-mirror-filter-id': (f) => f.trafficMirrorFilterId,
    description: (f) => f.description,
  };
  const matches = filterMatcher(params, fields, (f) => f.tags);
  const { page, nextToken } = paginate(candidates, params, {
    matches,
    action: 'DescribeTrafficMirrorFilters',
    min: 5,
    max: 1000,
    idCount: ids.length,
    cursorOf: (f) => ctx.state.orderOf(f.trafficMirrorFilterId),
  });
  return { trafficMirrorFilterSet: page.map(filterXml), nextToken };
};
