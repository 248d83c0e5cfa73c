/**
 * Does the configuration name things that exist and can be used? Every target and filter the functions may use must
 * be visible to this account in this Region (owned or shared to it), and no target may be a mirror source itself.
 * A problem here is not drift: `reconcile` cannot fix it, the operator must (exit code 3).
 */
import type { Config } from '../../shared/config/config';
import type { ConvergeDeps } from '../../shared/converge';
import { describeMirrorResources, type MirrorResourcesClient } from '../aws/mirror-resources';

export type ConfigurationProblemKind = 'target-not-found' | 'filter-not-found' | 'target-is-mirror-source';

export interface ConfigurationProblem {
  readonly kind: ConfigurationProblemKind;
  /** The variable that names the resource (its flag, when it has one, is in the detail). */
  readonly setting: string;
  readonly resourceId: string;
  readonly detail: string;
}

interface Named {
  readonly id: string;
  readonly setting: string;
}

const FLAGS: Readonly<Record<string, string>> = { MIRROR_TARGET_IDS: '--targets', MIRROR_FILTER_ID: '--filter' };

function configuredTargets(config: Config): Named[] {
  return [
    ...config.poolTargetIds.map((id) => ({ id, setting: 'MIRROR_TARGET_IDS' })),
    ...config.allowedOverrideTargetIds
      .filter((id) => !config.poolTargetIds.includes(id))
      .map((id) => ({ id, setting: 'MIRROR_ALLOWED_TARGET_IDS' })),
  ];
}

function configuredFilters(config: Config): Named[] {
  return [
    { id: config.filterId, setting: 'MIRROR_FILTER_ID' },
    ...config.allowedOverrideFilterIds.filter((id) => id !== config.filterId).map((id) => ({ id, setting: 'MIRROR_ALLOWED_FILTER_IDS' })),
  ];
}

function notFound(kind: 'target-not-found' | 'filter-not-found', named: Named, region: string): ConfigurationProblem {
  const flag = FLAGS[named.setting];
  const what = kind === 'target-not-found' ? 'traffic mirror target' : 'traffic mirror filter';
  return {
    kind,
    setting: named.setting,
    resourceId: named.id,
    detail:
      `${what} ${named.id} (${named.setting}${flag ? ` / ${flag}` : ''}) is not visible to this account in ${region}: ` +
      'check the id and the Region, or share it to this account',
  };
}

/** `client`: the EC2 client of the account and Region to check in (default: the credentials'). */
export async function checkConfiguration(
  config: Config,
  deps: ConvergeDeps,
  region: string,
  client?: MirrorResourcesClient,
): Promise<ConfigurationProblem[]> {
  const targets = configuredTargets(config);
  const filters = configuredFilters(config);
  const visible = await describeMirrorResources(
    targets.map((target) => target.id),
    filters.map((filter) => filter.id),
    ...(client === undefined ? [] : [client]),
  );
  const problems: ConfigurationProblem[] = [];
  for (const target of targets) if (!visible.targets.has(target.id)) problems.push(notFound('target-not-found', target, region));
  for (const filter of filters) if (!visible.filterIds.has(filter.id)) problems.push(notFound('filter-not-found', filter, region));

  const interfaceTargets = targets.flatMap((named) => {
    const target = visible.targets.get(named.id);
    return target?.networkInterfaceId ? [{ named, eniId: target.networkInterfaceId, instanceId: target.attachedInstanceId }] : [];
  });
  if (interfaceTargets.length === 0) return problems;
  const instanceIds = interfaceTargets.flatMap((target) => (target.instanceId ? [target.instanceId] : []));
  const [instances, sessions] = await Promise.all([
    deps.ec2.describeInstances(instanceIds),
    deps.ec2.describeSessionsOnInterfaces(interfaceTargets.map((target) => target.eniId)),
  ]);
  for (const { named, eniId, instanceId } of interfaceTargets) {
    const mirrored = sessions.find((session) => session.eniId === eniId);
    const tagged = instanceId !== undefined && instances.get(instanceId)?.tags[config.tagKey] === config.tagValue;
    if (mirrored === undefined && !tagged) continue;
    const why = mirrored
      ? `its network interface ${eniId} is the source of session ${mirrored.sessionId}`
      : `its network interface ${eniId} belongs to ${instanceId}, which is tagged ${config.tagKey}=${config.tagValue} for mirroring`;
    problems.push({
      kind: 'target-is-mirror-source',
      setting: named.setting,
      resourceId: named.id,
      detail: `traffic mirror target ${named.id} (${named.setting}) cannot receive traffic: ${why}`,
    });
  }
  return problems;
}
