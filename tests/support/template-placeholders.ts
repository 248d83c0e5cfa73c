/**
 * Replaces CloudFormation intrinsic functions in a packaged template with the values CloudFormation would produce,
 * or, where only a deployment knows them (a resource's name or ARN), with a type-appropriate placeholder of the same
 * shape (an ARN for Fn::GetAtt Arn, a queue URL for Ref of a queue, ...). Schema validation then checks real strings,
 * enums and patterns instead of skipping every value an intrinsic touches.
 *
 * Stack parameters take their Default (the serverless params as packaged); conditions are evaluated from them;
 * Ref AWS::NoValue removes the property. An intrinsic or a Ref/GetAtt this file does not know is an error naming
 * it, so a new construct in serverless.yml gets a placeholder here rather than passing unchecked.
 */

export interface PlaceholderContext {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
}

export const DEFAULT_PLACEHOLDER_CONTEXT: PlaceholderContext = {
  region: 'us-east-1',
  accountId: '123456789012',
  partition: 'aws',
};

type Template = {
  Resources: Record<string, { Type: string; Properties?: unknown; Condition?: string }>;
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
};

const NO_VALUE = Symbol('AWS::NoValue');

export class UnresolvableIntrinsicError extends Error {
  override readonly name = 'UnresolvableIntrinsicError';
}

/** Returns a deep copy of `properties` with every intrinsic replaced. */
export function resolveIntrinsics(
  value: unknown,
  template: Template,
  where: string,
  context: PlaceholderContext = DEFAULT_PLACEHOLDER_CONTEXT,
): unknown {
  const resolver = new IntrinsicResolver(template, context);
  const resolved = resolver.resolve(value, where);
  return resolved === NO_VALUE ? undefined : resolved;
}

class IntrinsicResolver {
  constructor(
    private readonly template: Template,
    private readonly context: PlaceholderContext,
  ) {}

  resolve(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value.map((item, index) => this.resolve(item, `${where}[${index}]`)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && isIntrinsicName(first[0])) {
      return this.intrinsic(first[0], first[1], where);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolve(item, `${where}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, argument: unknown, where: string): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument), where);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.getAtt(String(logicalId), String(attribute), where);
      }
      case 'Fn::Join': {
        const [delimiter, items] = asPair(argument, name, where);
        return this.stringList(items, where).join(String(delimiter));
      }
      case 'Fn::Split': {
        const [delimiter, text] = asPair(argument, name, where);
        return this.string(text, where).split(String(delimiter));
      }
      case 'Fn::Sub':
        return this.sub(argument, where);
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = Array.isArray(argument) ? argument : [];
        return this.resolve(this.condition(String(condition), where) ? whenTrue : whenFalse, where);
      }
      case 'Fn::Select': {
        const [index, items] = asPair(argument, name, where);
        return this.list(items, where)[Number(this.resolve(index, where))];
      }
      default:
        throw new UnresolvableIntrinsicError(`${where}: ${name} has no placeholder (teach tests/support/template-placeholders.ts)`);
    }
  }

  private ref(name: string, where: string): unknown {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return this.context.region;
      case 'AWS::AccountId':
        return this.context.accountId;
      case 'AWS::Partition':
        return this.context.partition;
      case 'AWS::StackName':
        return 'placeholder-stack';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Default === undefined) throw new UnresolvableIntrinsicError(`${where}: parameter ${name} has no Default`);
      return parameter.Default;
    }
    const resource = this.template.Resources[name];
    if (resource === undefined) throw new UnresolvableIntrinsicError(`${where}: Ref to unknown ${name}`);
    const { region, accountId } = this.context;
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
      case 'AWS::S3::Bucket':
        return `placeholder-${name.toLowerCase()}`;
      case 'AWS::SNS::Topic':
        return `arn:${this.context.partition}:sns:${region}:${accountId}:${name}`;
      case 'AWS::DynamoDB::Table':
      case 'AWS::Lambda::Function':
      case 'AWS::IAM::Role':
      case 'AWS::Logs::LogGroup':
      case 'AWS::Events::Rule':
        return name;
      default:
        throw new UnresolvableIntrinsicError(`${where}: no Ref placeholder for ${resource.Type} (${name})`);
    }
  }

  private getAtt(logicalId: string, attribute: string, where: string): unknown {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new UnresolvableIntrinsicError(`${where}: GetAtt of unknown ${logicalId}`);
    const { region, accountId, partition } = this.context;
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::IAM::Role.Arn':
        return `arn:${partition}:iam::${accountId}:role/${logicalId}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:${partition}:sqs:${region}:${accountId}:${logicalId}`;
      case 'AWS::SQS::Queue.QueueName':
        return logicalId;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:${partition}:dynamodb:${region}:${accountId}:table/${logicalId}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${logicalId}:*`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:${partition}:lambda:${region}:${accountId}:function:${logicalId}`;
      case 'AWS::Events::Rule.Arn':
        return `arn:${partition}:events:${region}:${accountId}:rule/${logicalId}`;
      default:
        throw new UnresolvableIntrinsicError(`${where}: no GetAtt placeholder for ${key} (${logicalId})`);
    }
  }

  private sub(argument: unknown, where: string): string {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    const bindings = (variables ?? {}) as Record<string, unknown>;
    return String(text).replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      if (name in bindings) return this.string(bindings[name], where);
      if (name.includes('.')) {
        const [logicalId = '', attribute = ''] = name.split('.');
        return String(this.getAtt(logicalId, attribute, where));
      }
      return String(this.ref(name, where));
    });
  }

  private condition(name: string, where: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableIntrinsicError(`${where}: unknown condition ${name}`);
    return this.evaluate(definition, `${where}<${name}>`);
  }

  private evaluate(expression: unknown, where: string): boolean {
    const entries = expression !== null && typeof expression === 'object' ? Object.entries(expression) : [];
    const [first] = entries;
    if (entries.length !== 1 || first === undefined) throw new UnresolvableIntrinsicError(`${where}: not a condition`);
    const [name, argument] = first;
    const items = Array.isArray(argument) ? argument : [];
    switch (name) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(items[0], where)) === JSON.stringify(this.resolve(items[1], where));
      case 'Fn::Not':
        return !this.evaluate(items[0], where);
      case 'Fn::And':
        return items.every((item) => this.evaluate(item, where));
      case 'Fn::Or':
        return items.some((item) => this.evaluate(item, where));
      case 'Condition':
        return this.condition(String(argument), where);
      default:
        throw new UnresolvableIntrinsicError(`${where}: condition function ${name} is not supported`);
    }
  }

  private string(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string' && typeof resolved !== 'number') {
      throw new UnresolvableIntrinsicError(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
    }
    return String(resolved);
  }

  private list(value: unknown, where: string): unknown[] {
    const resolved = this.resolve(value, where);
    if (!Array.isArray(resolved)) throw new UnresolvableIntrinsicError(`${where}: expected a list, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private stringList(value: unknown, where: string): string[] {
    return this.list(value, where).map((item) => this.string(item, where));
  }
}

function isIntrinsicName(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}

function asPair(argument: unknown, name: string, where: string): [unknown, unknown] {
  if (!Array.isArray(argument) || argument.length !== 2) {
    throw new UnresolvableIntrinsicError(`${where}: ${name} expects [a, b]`);
  }
  return [argument[0], argument[1]];
}
