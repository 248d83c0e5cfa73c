/** The Action name -> handler table: the EC2 surface this simulator covers. */

import { describeInstanceTypes, describeSubnets } from './catalog';
import type { ActionHandler } from './context';
import { describeInstances, runInstances, startInstances, stopInstances, terminateInstances } from './instances';
import {
  attachNetworkInterface,
  createNetworkInterface,
  deleteNetworkInterface,
  describeNetworkInterfaces,
  detachNetworkInterface,
} from './interfaces';
import { createTrafficMirrorFilter, deleteTrafficMirrorFilter, describeTrafficMirrorFilters } from './mirror-filters';
import {
  createTrafficMirrorSession,
  deleteTrafficMirrorSession,
  describeTrafficMirrorSessions,
  modifyTrafficMirrorSession,
} from './mirror-sessions';
import { createTrafficMirrorTarget, deleteTrafficMirrorTarget, describeTrafficMirrorTargets } from './mirror-targets';
import { createSubnet } from './subnets';
import { createTags, deleteTags } from './tags';

export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  DescribeInstances: describeInstances,
  DescribeNetworkInterfaces: describeNetworkInterfaces,
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeSubnets: describeSubnets,
  CreateSubnet: createSubnet,
  RunInstances: runInstances,
  StartInstances: startInstances,
  StopInstances: stopInstances,
  TerminateInstances: terminateInstances,
  CreateTags: createTags,
  DeleteTags: deleteTags,
  CreateNetworkInterface: createNetworkInterface,
  AttachNetworkInterface: attachNetworkInterface,
  DetachNetworkInterface: detachNetworkInterface,
  DeleteNetworkInterface: deleteNetworkInterface,
  CreateTrafficMirrorTarget: createTrafficMirrorTarget,
  DescribeTrafficMirrorTargets: describeTrafficMirrorTargets,
  DeleteTrafficMirrorTarget: deleteTrafficMirrorTarget,
  CreateTrafficMirrorFilter: createTrafficMirrorFilter,
  DescribeTrafficMirrorFilters: describeTrafficMirrorFilters,
  DeleteTrafficMirrorFilter: deleteTrafficMirrorFilter,
  CreateTrafficMirrorSession: createTrafficMirrorSession,
  DescribeTrafficMirrorSessions: describeTrafficMirrorSessions,
  DeleteTrafficMirrorSession: deleteTrafficMirrorSession,
  ModifyTrafficMirrorSession: modifyTrafficMirrorSession,
};

/** Actions whose ClientToken makes a retry return the first answer (and a changed retry fail). */
export const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set([
  'RunInstances',
  'CreateNetworkInterface',
  'CreateTrafficMirrorTarget',
  'CreateTrafficMirrorFilter',
  'CreateTrafficMirrorSession',
]);
