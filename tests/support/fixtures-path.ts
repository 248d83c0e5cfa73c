import path from 'node:path';

/**
 * Where the test fixtures live, inside the repository (nothing outside it is ever read):
 * - EVENT_FIXTURES: real EventBridge events in AWS's shapes (state change, tag change, CloudTrail CreateTags);
 * - CFN_SCHEMAS: AWS CloudFormation resource provider schemas, one per resource type the stack uses (SOURCE.md there
 *   says where each came from).
 */
export const FIXTURES_ROOT = path.resolve(__dirname, '..', 'fixtures');
export const EVENT_FIXTURES = path.join(FIXTURES_ROOT, 'events');
export const CFN_SCHEMAS = path.join(FIXTURES_ROOT, 'cfn-schemas');
