/**
 * SSM's JSON 1.1 protocol on the simulator's port: `POST /` with `X-Amz-Target: AmazonSSM.<Action>` and a JSON body,
 * answered in JSON (`application/x-amz-json-1.1`); an error is `{"__type": <code>, "message": ...}` with its status,
 * as the SDKs parse it. Parameters are kept per account and Region (the caller's, as for EC2).
 */
import type { Caller } from '../org/identity';
import { type JsonObject, parseJsonObject } from '../protocol/json-body';
import { checkRequestedName, type ParameterStore, type ParameterVersion, SsmError, validation } from './parameter-store';

export const SSM_TARGET_PREFIX = 'AmazonSSM.';
/** GetParameters takes 1 to 10 names. */
const MAX_NAMES = 10;

export interface SsmAnswer {
  readonly status: number;
  readonly body: string;
}

type Json = JsonObject;

export function isSsmRequest(target: string | string[] | undefined): target is string {
  return typeof target === 'string' && target.startsWith(SSM_TARGET_PREFIX);
}

export function answerSsm(target: string, body: string, store: ParameterStore, caller: Caller, now: Date = new Date()): SsmAnswer {
  try {
    const input = parseInput(body);
    const action = target.slice(SSM_TARGET_PREFIX.length);
    return { status: 200, body: JSON.stringify(run(action, input, store, caller, now)) };
  } catch (error) {
    if (!(error instanceof SsmError)) throw error;
    return { status: error.status, body: JSON.stringify({ __type: error.code, message: error.message }) };
  }
}

function run(action: string, input: Json, store: ParameterStore, caller: Caller, now: Date): Json {
  switch (action) {
    case 'GetParameter': {
      const name = requiredString(input, 'Name');
      return { Parameter: parameterJson(store.get(name), caller, optionalBoolean(input, 'WithDecryption')) };
    }
    case 'GetParameters': {
      const names = requiredNames(input);
      const withDecryption = optionalBoolean(input, 'WithDecryption');
      const found: Json[] = [];
      const invalid: string[] = [];
      for (const name of new Set(names)) {
        checkRequestedName(name);
        const parameter = store.find(name);
        if (parameter) found.push(parameterJson(parameter, caller, withDecryption));
        else invalid.push(name);
      }
      return { Parameters: found, InvalidParameters: invalid };
    }
    case 'PutParameter': {
      const description = optionalString(input, 'Description');
      const type = optionalString(input, 'Type');
      const version = store.put(
        {
          name: requiredString(input, 'Name'),
          value: requiredString(input, 'Value'),
          overwrite: optionalBoolean(input, 'Overwrite'),
          ...(type !== undefined ? { type } : {}),
          ...(description !== undefined ? { description } : {}),
        },
        now,
      );
      return { Version: version, Tier: 'Standard' };
    }
    case 'DeleteParameter':
      store.delete(requiredString(input, 'Name'));
      return {};
    default:
      throw new SsmError(
        'UnknownOperationException',
        `ec2-sim serves GetParameter, GetParameters, PutParameter and DeleteParameter, not ${action}`,
      );
  }
}

/** The Parameter shape: JSON timestamps are epoch seconds; the ARN drops the leading slash of a path name. */
function parameterJson(parameter: ParameterVersion, caller: Caller, withDecryption: boolean): Json {
  const hidden = parameter.type === 'SecureString' && !withDecryption;
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: hidden ? Buffer.from(`kms-sealed:${parameter.value}`).toString('base64') : parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified.getTime() / 1000,
    ARN: `arn:aws:ssm:${caller.region}:${caller.accountId}:parameter/${parameter.name.replace(/^\//, '')}`,
    DataType: 'text',
  };
}

function parseInput(body: string): Json {
  return parseJsonObject(body, (message) => new SsmError('SerializationException', message));
}

function requiredString(input: Json, member: string): string {
  const value = input[member];
  if (value === undefined || value === null) {
    throw validation(
      `1 validation error detected: Value null at '${lowerFirst(member)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string') throw new SsmError('SerializationException', `${member}: expected a string`);
  return value;
}

function optionalString(input: Json, member: string): string | undefined {
  return input[member] === undefined || input[member] === null ? undefined : requiredString(input, member);
}

function optionalBoolean(input: Json, member: string): boolean {
  const value = input[member];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new SsmError('SerializationException', `${member}: expected a boolean`);
  return value;
}

function requiredNames(input: Json): string[] {
  const names = input.Names;
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) {
    throw validation("1 validation error detected: Value null at 'names' failed to satisfy constraint: Member must not be null");
  }
  if (names.length < 1 || names.length > MAX_NAMES) {
    throw validation(
      `1 validation error detected: Value '[${names.join(', ')}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAMES}`,
    );
  }
  return names as string[];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
