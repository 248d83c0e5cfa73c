/**
 * AWS's published EC2 service model, as the aws-sdk v2 npm package ships it (a dev dependency): the operations'
 * output shapes with their XML names (apis/ec2-2016-11-15.min.json), the paginators (…paginators.json), and the
 * enum values, which the minified model leaves out and the package's typings (clients/ec2.d.ts) keep. Loaded only
 * when response validation is on, so the simulator never needs aws-sdk otherwise.
 */
import { readFileSync } from 'node:fs';

export interface ShapeRef {
  readonly shape?: string;
  readonly type?: string;
  readonly locationName?: string;
  readonly members?: Readonly<Record<string, ShapeRef>>;
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly flattened?: boolean;
}

export interface Paginator {
  readonly input_token: string;
  readonly output_token: string;
  readonly result_key: string;
  readonly limit_key?: string;
}

/** The typings' view of one named type: a structure's member types, a list's item type, or an enum's values. */
export type TypingsType =
  | { readonly kind: 'structure'; readonly members: ReadonlyMap<string, string> }
  | { readonly kind: 'list'; readonly item: string }
  | { readonly kind: 'enum'; readonly values: ReadonlySet<string> };

export interface ServiceModel {
  readonly xmlNamespace: string;
  readonly operations: ReadonlyMap<string, { readonly output?: ShapeRef; readonly outputTypeName?: string }>;
  readonly paginators: ReadonlyMap<string, Paginator>;
  readonly typings: ReadonlyMap<string, TypingsType>;
  /** The shape a reference points to, with the reference's own traits (locationName, ...) on top. */
  resolve(ref: ShapeRef): ShapeRef;
}

interface MinModel {
  metadata: { xmlNamespace: string };
  operations: Record<string, { output?: ShapeRef }>;
  shapes: Record<string, ShapeRef>;
}

export function loadServiceModel(): ServiceModel {
  const model = JSON.parse(readFileSync(require.resolve('aws-sdk/apis/ec2-2016-11-15.min.json'), 'utf8')) as MinModel;
  const paginators = JSON.parse(readFileSync(require.resolve('aws-sdk/apis/ec2-2016-11-15.paginators.json'), 'utf8')) as {
    pagination: Record<string, Partial<Paginator>>;
  };
  const typingsText = readFileSync(require.resolve('aws-sdk/clients/ec2.d.ts'), 'utf8');
  const outputTypeNames = operationOutputTypes(typingsText);
  return {
    xmlNamespace: model.metadata.xmlNamespace,
    operations: new Map(
      Object.entries(model.operations).map(([name, operation]) => [
        name,
        { ...(operation.output ? { output: operation.output } : {}), outputTypeName: outputTypeNames.get(name) },
      ]),
    ),
    paginators: new Map(
      Object.entries(paginators.pagination)
        .filter((entry): entry is [string, Paginator] => Boolean(entry[1].output_token && entry[1].result_key && entry[1].input_token))
        .map(([name, paginator]) => [name, paginator]),
    ),
    typings: parseTypings(typingsText),
    resolve(ref) {
      const target = ref.shape ? model.shapes[ref.shape] : undefined;
      if (ref.shape && !target) throw new Error(`EC2 model: no shape ${ref.shape}`);
      return { ...target, ...ref, shape: undefined };
    },
  };
}

/** `runInstances(params: EC2.Types.RunInstancesRequest, callback?: (err: AWSError, data: EC2.Types.Reservation) ...` */
function operationOutputTypes(typings: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = /^ {2}(\w+)\(params: EC2\.Types\.\w+, callback\?: \(err: AWSError, data: EC2\.Types\.(\w+)\) => void\)/gm;
  for (const match of typings.matchAll(pattern)) {
    const method = match[1] as string;
    found.set(method[0]?.toUpperCase() + method.slice(1), match[2] as string);
  }
  return found;
}

function parseTypings(typings: string): Map<string, TypingsType> {
  const types = new Map<string, TypingsType>();
  for (const match of typings.matchAll(/^ {2}export type (\w+) = ((?:"[^"]*"\|)+)string;$/gm)) {
    const values = (match[2] as string)
      .split('|')
      .filter(Boolean)
      .map((quoted) => quoted.slice(1, -1));
    types.set(match[1] as string, { kind: 'enum', values: new Set(values) });
  }
  for (const match of typings.matchAll(/^ {2}export type (\w+) = (\w+)\[\];$/gm)) {
    types.set(match[1] as string, { kind: 'list', item: match[2] as string });
  }
  for (const match of typings.matchAll(/^ {2}export interface (\w+) \{\n([\s\S]*?)^ {2}\}$/gm)) {
    const members = new Map<string, string>();
    for (const member of (match[2] as string).matchAll(/^ {4}(\w+)\??: (\w+);$/gm)) members.set(member[1] as string, member[2] as string);
    types.set(match[1] as string, { kind: 'structure', members });
  }
  return types;
}
