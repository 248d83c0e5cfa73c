/**
 * SSM Parameter Store of one account in one Region: what GetParameter, GetParameters and PutParameter see. Every
 * version of a parameter is kept (AWS keeps 100) so `name:version` selectors answer as on AWS. Standard tier only:
 * values up to 4 KB, 10,000 parameters per account and Region. SecureString values are stored as sent and answered
 * as an opaque base64 blob unless the caller asks WithDecryption (KMS itself is not modelled).
 */

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface ParameterVersion {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly lastModified: Date;
  readonly description?: string;
}

/** An SSM error: serialised by the JSON 1.1 protocol as `{"__type": code, "message": ...}` with this status. */
export class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const PARAMETER_TYPES: ReadonlySet<string> = new Set(['String', 'StringList', 'SecureString']);
const NAME_CHARACTERS = /^[a-zA-Z0-9_.\-/]+$/;
const RESERVED_PREFIX = /^\/?(aws|ssm)/i;
const MAX_NAME_LENGTH = 2048;
const MAX_STANDARD_VALUE_LENGTH = 4096;
const MAX_HIERARCHY_LEVELS = 15;
export const MAX_STANDARD_PARAMETERS = 10_000;
const MAX_VERSIONS = 100;

export interface PutRequest {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  readonly overwrite: boolean;
  readonly description?: string;
}

export class ParameterStore {
  private readonly versions = new Map<string, ParameterVersion[]>();

  /** The new version number. */
  put(request: PutRequest, now: Date): number {
    checkName(request.name);
    checkValue(request.value);
    if (request.type !== undefined && !PARAMETER_TYPES.has(request.type)) {
      throw validation(
        `1 validation error detected: Value '${request.type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
      );
    }
    const name = request.name;
    const history = this.versions.get(name);
    const latest = history?.at(-1);
    if (latest && !request.overwrite) {
      throw new SsmError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    if (!latest && request.type === undefined) throw validation('A parameter type is required when you create a parameter.');
    if (!latest && this.versions.size >= MAX_STANDARD_PARAMETERS) {
      throw new SsmError(
        'ParameterLimitExceeded',
        'You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again.',
      );
    }
    const version: ParameterVersion = {
      name,
      type: (request.type ?? latest?.type) as ParameterType,
      value: request.value,
      version: (latest?.version ?? 0) + 1,
      lastModified: now,
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
    const kept = [...(history ?? []), version].slice(-MAX_VERSIONS);
    this.versions.set(name, kept);
    return version.version;
  }

  /** `name` or `name:version`; undefined when there is no such parameter (GetParameters lists it as invalid). */
  find(nameWithSelector: string): ParameterVersion | undefined {
    const { name, version } = parseSelector(nameWithSelector);
    const history = this.versions.get(name);
    if (!history) return undefined;
    if (version === undefined) return history.at(-1);
    return history.find((entry) => entry.version === version);
  }

  /** GetParameter's answer: the version, or ParameterNotFound / ParameterVersionNotFound as AWS tells them apart. */
  get(nameWithSelector: string): ParameterVersion {
    checkRequestedName(nameWithSelector);
    const found = this.find(nameWithSelector);
    if (found) return found;
    const { name, version } = parseSelector(nameWithSelector);
    if (version !== undefined && this.versions.has(name)) {
      throw new SsmError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`,
      );
    }
    throw new SsmError('ParameterNotFound', '');
  }

  delete(name: string): void {
    if (!this.versions.delete(name)) throw new SsmError('ParameterNotFound', '');
  }
}

export function validation(message: string): SsmError {
  return new SsmError('ValidationException', message);
}

/** GetParameter's Name: 1 to 2048 characters; a selector is a version number (labels are not modelled). */
export function checkRequestedName(nameWithSelector: string): void {
  if (nameWithSelector.length < 1 || nameWithSelector.length > MAX_NAME_LENGTH) {
    throw validation(
      `1 validation error detected: Value '${nameWithSelector}' at 'name' failed to satisfy constraint: Member must have length between 1 and ${MAX_NAME_LENGTH}`,
    );
  }
  const selector = nameWithSelector.split(':')[1];
  if (selector !== undefined && !/^\d+$/.test(selector)) {
    throw validation(`ec2-sim models version selectors only ('name:3'), not labels: '${nameWithSelector}'`);
  }
}

function parseSelector(nameWithSelector: string): { name: string; version?: number } {
  const [name = '', selector] = nameWithSelector.split(':');
  return selector === undefined ? { name } : { name, version: Number(selector) };
}

function checkName(name: string): void {
  if (name.length < 1 || name.length > MAX_NAME_LENGTH) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length between 1 and ${MAX_NAME_LENGTH}`,
    );
  }
  if (!NAME_CHARACTERS.test(name) || RESERVED_PREFIX.test(name)) {
    throw validation(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_',
    );
  }
  if (name.includes('/') && !name.startsWith('/')) throw validation('Parameter name must be a fully qualified name.');
  const levels = name.split('/').filter(Boolean).length;
  if (levels > MAX_HIERARCHY_LEVELS) {
    throw new SsmError(
      'HierarchyLevelLimitExceededException',
      `A hierarchy can have a maximum of ${MAX_HIERARCHY_LEVELS} levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.`,
    );
  }
}

function checkValue(value: string): void {
  if (value.length < 1) {
    throw validation(
      "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (value.length > MAX_STANDARD_VALUE_LENGTH) {
    throw validation(
      `Standard tier parameters support a maximum parameter value of ${MAX_STANDARD_VALUE_LENGTH} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`,
    );
  }
}
