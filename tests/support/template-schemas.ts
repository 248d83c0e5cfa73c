/**
 * Validates CloudFormation resource Properties against the AWS CloudFormation resource provider schemas stored in
 * tests/fixtures/cfn-schemas (cfn-lint's copies; see SOURCE.md there), with ajv in strict mode.
 *
 * The schemas are draft-07 JSON Schema plus:
 * - AWS annotations (typeName, primaryIdentifier, readOnlyProperties, tagging, ...): registered as annotation-only
 *   keywords so strict mode accepts them;
 * - cfn-lint's validation keywords, implemented here because they carry real rules: requiredXor (exactly one of),
 *   requiredOr (at least one of), dependentExcluded (A excludes B), dependentRequired (A needs B), uniqueKeys (array
 *   items unique by these keys), maxUniqueItems (at most N distinct items), enumCaseInsensitive (one of these values,
 *   in any case), prefixItems (tuple positions, e.g. a KeySchema starts with HASH);
 * - cfn-lint's network formats (ipv4-network, ipv6-network: CIDR blocks), checked;
 * - cfn-lint's semantic formats (AWS::IAM::Role.Arn, json, ...): accepted as any value; placeholders stand in for
 *   most of those values anyway (see template-placeholders.ts).
 * Any other unknown keyword or format makes ajv throw, so a schema update cannot silently skip a rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The keywords of AWS's resource type schema (CloudFormation CLI user guide, "Resource type schema";
 * provider.definition.schema.v1.json in aws-cloudformation/cloudformation-cli) that describe the resource to
 * CloudFormation (identifiers, handlers, drift, console links) and carry no rule about a template's Properties.
 */
const ANNOTATION_KEYWORDS = [
  'typeName',
  'sourceUrl',
  'documentationUrl',
  'primaryIdentifier',
  'additionalIdentifiers',
  'readOnlyProperties',
  'writeOnlyProperties',
  'createOnlyProperties',
  'conditionalCreateOnlyProperties',
  'deprecatedProperties',
  'nonPublicProperties',
  'nonPublicDefinitions',
  'propertyTransform',
  'tagging',
  'taggable',
  'handlers',
  'remote',
  'replacementStrategy',
  'typeConfiguration',
  // Where the console links a resource: { templateUri, mappings }.
  'resourceLink',
  'insertionOrder',
  'relationshipRef',
  'arrayType',
];

const SEMANTIC_FORMAT = /^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+\.[A-Za-z]+|json)$/;

export interface ResourceSchemas {
  /** The resource types with a schema file. */
  readonly types: ReadonlySet<string>;
  /** Problems with these properties, as "path: message" lines; empty when valid. */
  validate(type: string, properties: unknown): string[];
}

export function loadResourceSchemas(directory: string): ResourceSchemas {
  // strict: unknown keywords and formats throw. strictTypes/strictTuples/strictRequired only judge schema authoring
  // style (a root without "type": "object", tuples without minItems, required names declared in a sibling branch),
  // which AWS's schemas do not follow. Patterns are written for
  // AWS's (Java) engine: escapes like \_ that JavaScript accepts only without the u flag, and \A \Z \z anchors.
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    unicodeRegExp: false,
    validateSchema: false,
    code: { regExp: javaStylePattern },
  });
  addFormats(ajv);
  addCfnLintFormats(ajv);
  for (const keyword of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword });
  addCfnLintKeywords(ajv);

  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as Record<string, unknown>;
    // provider.definition.schema.v1 is AWS's meta-schema; validating the schema itself is not our job.
    delete schema['$schema'];
    registerSemanticFormats(ajv, schema);
    const type = String(schema['typeName']);
    validators.set(type, ajv.compile(schema));
  }

  return {
    types: new Set(validators.keys()),
    validate(type, properties) {
      const validator = validators.get(type);
      if (validator === undefined) return [`no schema for ${type}`];
      if (validator(properties ?? {})) return [];
      return (validator.errors ?? []).map(
        (error) => `${error.instancePath || '/'}: ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
      );
    },
  };
}

/** Java's input anchors to JavaScript's (no multiline flag is used, so ^ and $ mean the same). */
const javaStylePattern = Object.assign(
  (pattern: string, flags: string): RegExp =>
    new RegExp(pattern.replace(/(?<!\\)((?:\\\\)*)\\A/g, '$1^').replace(/(?<!\\)((?:\\\\)*)\\[Zz]/g, '$1$$'), flags),
  { code: 'new RegExp' },
);

function registerSemanticFormats(ajv: Ajv, schema: unknown): void {
  const formats = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'format' && typeof value === 'string' && SEMANTIC_FORMAT.test(value)) formats.add(value);
        walk(value);
      }
    }
  };
  walk(schema);
  for (const format of formats) {
    if (!ajv.formats[format]) ajv.addFormat(format, () => true);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** cfn-lint's network formats: an address block in CIDR notation (10.0.0.0/16; 2001:db8::/32). */
function addCfnLintFormats(ajv: Ajv): void {
  ajv.addFormat('ipv4-network', (value: string) => {
    const [address, prefix, ...rest] = value.split('/');
    return rest.length === 0 && IPV4.test(address ?? '') && /^(3[0-2]|[12]?\d)$/.test(prefix ?? '');
  });
  ajv.addFormat('ipv6-network', (value: string) => {
    const [address, prefix, ...rest] = value.split('/');
    return (
      rest.length === 0 &&
      /^[0-9A-Fa-f:.]+$/.test(address ?? '') &&
      (address ?? '').includes(':') &&
      /^(12[0-8]|1[01]\d|[1-9]?\d)$/.test(prefix ?? '')
    );
  });
}

function present(data: unknown, key: string): boolean {
  return data !== null && typeof data === 'object' && Object.hasOwn(data, key);
}

function addCfnLintKeywords(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: 'requiredXor',
    schemaType: 'array',
    error: { message: ({ schema }) => `must have exactly one of ${JSON.stringify(schema)}` },
    validate: (keys: string[], data: unknown) => keys.filter((key) => present(data, key)).length === 1,
  });
  ajv.addKeyword({
    keyword: 'requiredOr',
    schemaType: 'array',
    error: { message: ({ schema }) => `must have at least one of ${JSON.stringify(schema)}` },
    validate: (keys: string[], data: unknown) => keys.some((key) => present(data, key)),
  });
  ajv.addKeyword({
    keyword: 'dependentExcluded',
    schemaType: 'object',
    error: { message: ({ schema }) => `has mutually exclusive properties ${JSON.stringify(schema)}` },
    validate: (rules: Record<string, string[]>, data: unknown) =>
      Object.entries(rules).every(([key, excluded]) => !present(data, key) || !excluded.some((other) => present(data, other))),
  });
  ajv.addKeyword({
    keyword: 'dependentRequired',
    schemaType: 'object',
    error: { message: ({ schema }) => `is missing a property required by another ${JSON.stringify(schema)}` },
    validate: (rules: Record<string, string[]>, data: unknown) =>
      Object.entries(rules).every(([key, needed]) => !present(data, key) || needed.every((other) => present(data, other))),
  });
  ajv.addKeyword({
    keyword: 'uniqueKeys',
    schemaType: 'array',
    error: { message: ({ schema }) => `items must be unique by ${JSON.stringify(schema)}` },
    validate: (keys: string[], data: unknown) => {
      if (!Array.isArray(data)) return true;
      const seen = data.map((item) => JSON.stringify(keys.map((key) => (item as Record<string, unknown>)?.[key])));
      return new Set(seen).size === seen.length;
    },
  });
  ajv.addKeyword({
    keyword: 'maxUniqueItems',
    schemaType: 'number',
    error: { message: ({ schema }) => `must have at most ${String(schema)} distinct items` },
    validate: (limit: number, data: unknown) => !Array.isArray(data) || new Set(data.map((item) => JSON.stringify(item))).size <= limit,
  });
  ajv.addKeyword({
    keyword: 'enumCaseInsensitive',
    schemaType: 'array',
    error: { message: ({ schema }) => `must be one of ${JSON.stringify(schema)} (any case)` },
    validate: (allowed: string[], data: unknown) =>
      typeof data !== 'string' || allowed.some((value) => value.toLowerCase() === data.toLowerCase()),
  });
  // JSON Schema 2020-12's tuple keyword, in draft-07 terms: `items` as an array of position schemas.
  ajv.addKeyword({
    keyword: 'prefixItems',
    schemaType: 'array',
    macro: (positions: unknown[]) => ({ items: positions }),
  });
}
