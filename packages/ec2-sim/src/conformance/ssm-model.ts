/**
 * Checks the simulator's SSM answers against AWS's SSM service model as aws-sdk v2 ships it
 * (apis/ssm-2014-11-06.min.json): every member of a success body is one the operation's output shape names, with the
 * JSON type its shape says (timestamps are epoch seconds); an error body holds `__type` and `message` only.
 */
import { readFileSync } from 'node:fs';

interface JsonShape {
  readonly type?: string;
  readonly shape?: string;
  readonly members?: Readonly<Record<string, JsonShape>>;
  readonly member?: JsonShape;
}

interface SsmModel {
  readonly operations: Readonly<Record<string, { readonly output?: JsonShape }>>;
  readonly shapes: Readonly<Record<string, JsonShape>>;
}

let model: SsmModel | undefined;

function loadSsmModel(): SsmModel {
  model ??= JSON.parse(readFileSync(require.resolve('aws-sdk/apis/ssm-2014-11-06.min.json'), 'utf8')) as SsmModel;
  return model;
}

export function validateSsmResponse(action: string, status: number, body: string): string[] {
  const violations: string[] = [];
  const report = (path: string, problem: string) => violations.push(`SSM ${action} ${path}: ${problem}`);
  const parsed = JSON.parse(body) as unknown;
  if (status !== 200) {
    const members = Object.keys(parsed as object).sort();
    if (members.join(',') !== '__type,message') report('/', `an error body holds __type and message, not ${members.join(', ')}`);
    return violations;
  }
  const ssm = loadSsmModel();
  const operation = ssm.operations[action];
  if (!operation) return [`SSM ${action}: not an operation of the SSM model`];
  checkValue(ssm, operation.output ?? { type: 'structure', members: {} }, parsed, action, report);
  return violations;
}

function checkValue(ssm: SsmModel, ref: JsonShape, value: unknown, path: string, report: (path: string, problem: string) => void): void {
  const shape = ref.shape ? { ...ssm.shapes[ref.shape], ...ref, shape: undefined } : ref;
  const type = shape.type ?? 'string';
  const actual = Array.isArray(value) ? 'list' : typeof value;
  switch (type) {
    case 'structure': {
      if (actual !== 'object' || value === null) {
        report(path, `expected a structure, got ${actual}`);
        return;
      }
      for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
        const memberShape = shape.members?.[name];
        if (!memberShape) report(`${path}.${name}`, 'not a member of the model');
        else checkValue(ssm, memberShape, member, `${path}.${name}`, report);
      }
      return;
    }
    case 'list':
      if (actual !== 'list') {
        report(path, `expected a list, got ${actual}`);
        return;
      }
      (value as unknown[]).forEach((item, index) => {
        checkValue(ssm, shape.member ?? {}, item, `${path}[${index}]`, report);
      });
      return;
    case 'long':
    case 'integer':
      if (!Number.isInteger(value)) report(path, `expected an integer, got ${JSON.stringify(value)}`);
      return;
    case 'timestamp':
      if (typeof value !== 'number') report(path, `expected epoch seconds, got ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (actual !== 'boolean') report(path, `expected a boolean, got ${actual}`);
      return;
    default:
      if (actual !== 'string') report(path, `expected a ${type}, got ${actual}`);
  }
}
