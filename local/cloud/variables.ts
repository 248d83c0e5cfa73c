/**
 * Serverless Framework variables as the local cloud resolves them: ${param:X} (params.<stage>, params.default,
 * overrides), ${self:a.b}, ${sls:stage}, ${opt:stage}, ${env:X}, with `, fallback` defaults.
 */
import { StackError } from './stack-model';
import { asRecord } from './yaml-values';

export function collectParams(
  document: Record<string, unknown>,
  stage: string,
  overrides: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const params = document['params'] === undefined ? {} : asRecord(document['params'], 'params');
  const byDefault = params['default'] === undefined ? {} : asRecord(params['default'], 'params.default');
  const byStage = params[stage] === undefined ? {} : asRecord(params[stage], `params.${stage}`);
  return { ...byDefault, ...byStage, ...overrides };
}

interface VariableSources {
  readonly service: string;
  readonly stage: string;
  readonly params: Record<string, unknown>;
}

/** Resolves ${param:X}, ${self:a.b}, ${sls:stage}, ${opt:stage}, ${env:X}, with `, fallback` defaults. */
export class VariableResolver {
  constructor(
    private readonly document: Record<string, unknown>,
    private readonly sources: VariableSources,
  ) {}

  resolve(value: unknown, where: string, depth = 0): unknown {
    if (depth > 20) throw new StackError(`${where}: variables nest too deeply (a cycle?)`);
    if (typeof value === 'string') return this.resolveString(value, where, depth);
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`, depth));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolve(item, `${where}.${key}`, depth)]));
    }
    return value;
  }

  /**
   * Innermost variables first, repeatedly, so ${strToBool(${param:x})} works. A string that is exactly one
   * variable keeps the value's type (false stays a boolean). CloudFormation's own ${AWS::Region} style
   * placeholders (Fn::Sub) are left alone.
   */
  private resolveString(text: string, where: string, depth: number): unknown {
    let current = text;
    for (let round = 0; round < 20; round += 1) {
      const whole = /^\$\{([^{}]+)\}$/.exec(current);
      if (whole?.[1] !== undefined && this.isVariable(whole[1])) {
        return this.resolve(this.lookup(whole[1], where), where, depth + 1);
      }
      let replaced = false;
      const next = current.replace(/\$\{([^{}]+)\}/g, (match, expression: string) => {
        if (!this.isVariable(expression)) return match;
        replaced = true;
        const value = this.resolve(this.lookup(expression, where), where, depth + 1);
        return value === undefined || value === null ? '' : String(value);
      });
      if (!replaced) return next;
      current = next;
    }
    throw new StackError(`${where}: variables nest too deeply in ${text}`);
  }

  private isVariable(expression: string): boolean {
    return /^\s*(param|self|sls|opt|env):/.test(expression) || /^\s*strToBool\(/.test(expression);
  }

  private lookup(expression: string, where: string): unknown {
    const toBool = /^\s*strToBool\((.*)\)\s*$/.exec(expression);
    if (toBool)
      return (
        String(toBool[1])
          .trim()
          .replace(/^(['"])(.*)\1$/, '$2') === 'true'
      );
    const [reference = '', ...fallbacks] = splitTopLevel(expression);
    const value = this.lookupReference(reference.trim());
    if (value !== undefined) return value;
    const fallback = fallbacks[0]?.trim();
    if (fallback !== undefined) return parseFallback(fallback, (inner) => this.lookupReference(inner));
    throw new StackError(`${where}: cannot resolve \${${expression}}`);
  }

  private lookupReference(reference: string): unknown {
    const colon = reference.indexOf(':');
    const source = reference.slice(0, colon);
    const address = reference.slice(colon + 1);
    switch (source) {
      case 'param':
        return this.sources.params[address];
      case 'sls':
        return address === 'stage' ? this.sources.stage : undefined;
      case 'opt':
        return address === 'stage' ? this.sources.stage : undefined;
      case 'env':
        return process.env[address];
      case 'self':
        if (address === 'service') return this.sources.service;
        return address
          .split('.')
          .reduce<unknown>(
            (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
            this.document,
          );
      default:
        return undefined;
    }
  }
}

function splitTopLevel(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of expression) {
    if (char === '(' || char === '[') depth += 1;
    if (char === ')' || char === ']') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function parseFallback(fallback: string, lookup: (reference: string) => unknown): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(fallback);
  if (quoted) return quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(fallback)) return Number(fallback);
  if (fallback === 'true' || fallback === 'false') return fallback === 'true';
  if (fallback === 'null') return null;
  return lookup(fallback);
}

/** provider.stage as written: a literal, or ${opt:stage, 'dev'} whose fallback applies locally. */
export function stageOf(raw: unknown): string {
  if (typeof raw !== 'string') return 'dev';
  if (!raw.includes('${')) return raw;
  const fallback = /,\s*['"]?([\w-]+)['"]?\s*\}$/.exec(raw);
  return fallback?.[1] ?? 'dev';
}
