/**
 * The rooms of the repository and what each may import (docs/ARCHITECTURE.md, "Rooms"). checkLayout reads the
 * imports of source files (import, export ... from, require, dynamic import; type-only imports count too) and
 * names every one that crosses a wall. The product is functions/, shared/ and cli/; the local tools (local/,
 * packages/*) may use the product, never the other way round.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. shared/domain/plan.ts. */
  readonly path: string;
  readonly text: string;
}

export interface LayoutViolation {
  readonly file: string;
  readonly specifier: string;
  readonly reason: string;
}

/** A room of the product: where it is, which rooms and which packages its files may import. */
interface ProductRoom {
  readonly name: string;
  readonly prefix: string;
  readonly rooms: readonly string[];
  /** Package names (node: built-ins spelled node:name); '*' allows any package the product depends on. */
  readonly packages: readonly string[];
  /** Narrows the rooms: an import into `room` must name a file matching `file`. */
  readonly only?: { readonly room: string; readonly file: RegExp };
}

const LAMBDA_TYPES = 'aws-lambda';
const POWERTOOLS = ['@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'];

export const PRODUCT_ROOMS: readonly ProductRoom[] = [
  { name: 'domain', prefix: 'shared/domain/', rooms: ['domain'], packages: ['zod'] },
  { name: 'util', prefix: 'shared/util/', rooms: ['util'], packages: [] },
  { name: 'config', prefix: 'shared/config/', rooms: ['domain', 'config'], packages: ['zod'] },
  {
    name: 'application',
    prefix: 'shared/converge/',
    rooms: ['domain', 'util', 'config', 'application'],
    // randomUUID for reservation ids; Powertools for the types of the logger and metrics ports.
    packages: ['node:crypto', ...POWERTOOLS],
  },
  {
    name: 'aws',
    prefix: 'shared/aws/',
    rooms: ['domain', 'util', 'application', 'aws'],
    packages: [
      'node:crypto',
      // The invocation's deadline, carried to the throttle lines through every call (invocation-deadline.ts).
      'node:async_hooks',
      '@aws-sdk/client-ec2',
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/lib-dynamodb',
      // unmarshall, for the item a failed condition returns (lib-dynamodb leaves errors as DynamoDB sent them).
      '@aws-sdk/util-dynamodb',
      '@aws-sdk/client-eventbridge',
      '@aws-sdk/client-sts',
      '@aws-sdk/client-ssm',
      '@aws-sdk/client-sqs',
      '@aws-sdk/client-organizations',
      // The EC2 clients' retry strategy (ec2-retry.ts) builds on the SDK's own.
      '@smithy/core',
      '@smithy/types',
    ],
    // An adapter implements a port; it does not call the application.
    only: { room: 'application', file: /(^|-)ports$/ },
  },
  { name: 'observability', prefix: 'shared/observability/', rooms: ['domain', 'observability'], packages: POWERTOOLS },
  {
    name: 'lambda',
    prefix: 'shared/lambda/',
    rooms: ['domain', 'util', 'config', 'application', 'lambda'],
    packages: [LAMBDA_TYPES, 'node:crypto'],
  },
  {
    name: 'wiring',
    prefix: 'shared/wiring/',
    rooms: ['domain', 'util', 'config', 'application', 'aws', 'observability', 'wiring'],
    packages: [],
  },
  {
    name: 'functions',
    prefix: 'functions/',
    rooms: ['domain', 'util', 'config', 'application', 'aws', 'observability', 'lambda', 'wiring', 'functions'],
    packages: ['*'],
  },
  {
    // mirrorctl's own adapters (CloudFormation, Lambda, the mirror resources it checks): the CLI's shared/aws.
    name: 'cli adapters',
    prefix: 'cli/aws/',
    rooms: ['domain', 'util', 'config', 'application', 'aws', 'cli adapters'],
    packages: ['*'],
  },
  {
    name: 'cli',
    prefix: 'cli/',
    rooms: ['domain', 'util', 'config', 'application', 'observability', 'wiring', 'cli adapters', 'aws', 'cli', 'package.json'],
    packages: ['*'],
    // The CLI names AWS's error codes to the user: it reads them through the adapters' error mapping, nothing else.
    only: { room: 'aws', file: /^error-mapping$/ },
  },
];

/** Everything that is not the product: the local tools, the tests, the bench. */
const OUTSIDE_ROOMS: ReadonlyArray<{ readonly name: string; readonly prefix: string }> = [
  { name: 'local tools (local/)', prefix: 'local/' },
  { name: 'local tools (packages/)', prefix: 'packages/' },
  { name: 'tests', prefix: 'tests/' },
  { name: 'bench', prefix: 'bench/' },
  { name: 'build', prefix: 'build/' },
];

const WORKSPACE_SCOPE = '@vpc-mirror-orchestrator/';
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The room of a file, or of a folder imported through its index (shared/converge). */
function roomOf(file: string): string | undefined {
  if (file === 'package.json') return 'package.json';
  const inside = (prefix: string) => `${file}/`.startsWith(prefix);
  return PRODUCT_ROOMS.find((room) => inside(room.prefix))?.name ?? OUTSIDE_ROOMS.find((room) => inside(room.prefix))?.name;
}

/** The package an import names: node:fs for a built-in, @scope/name or name otherwise. */
function packageOf(specifier: string): string {
  if (BUILTINS.has(specifier) || specifier.startsWith('node:')) return `node:${specifier.replace(/^node:/, '').split('/')[0]}`;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

export function importsOf(file: SourceFile): string[] {
  return ts.preProcessFile(file.text, true, true).importedFiles.map((imported) => imported.fileName);
}

/** The repository-relative path an import names, without extension, or undefined for a package. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)).replace(/\.(ts|mts|cts|js|mjs|cjs)$/, '');
}

function productViolation(room: ProductRoom, file: string, specifier: string): string | undefined {
  const target = resolveRelative(file, specifier);
  if (target !== undefined) {
    const targetRoom = roomOf(target) ?? `outside the rooms (${target})`;
    if (!room.rooms.includes(targetRoom)) return `${room.name} may not import ${targetRoom}`;
    if (room.only && targetRoom === room.only.room && !room.only.file.test(path.posix.basename(target))) {
      return `${room.name} may import only ${room.only.file} from ${room.only.room}`;
    }
    return undefined;
  }
  const name = packageOf(specifier);
  if (name.startsWith(WORKSPACE_SCOPE)) return `${room.name} may not import the local tools (${name})`;
  if (room.packages.includes('*') || room.packages.includes(name)) return undefined;
  return `${room.name} may not import the package ${name}${name.startsWith('node:') ? ' (I/O or the host)' : ''}`;
}

/** A local tool package (packages/<name>/) stands alone: its own files and its declared dependencies only. */
function packageViolation(file: string, specifier: string, dependencies: ReadonlySet<string>): string | undefined {
  const home = file.split('/').slice(0, 2).join('/');
  const target = resolveRelative(file, specifier);
  if (target !== undefined) return target.startsWith(`${home}/`) ? undefined : `a package may import only its own files, not ${target}`;
  const name = packageOf(specifier);
  // A type-only package (aws-lambda) is declared through its @types package.
  const typesPackage = `@types/${name.replace(/^@/, '').replace('/', '__')}`;
  if (name.startsWith('node:') || dependencies.has(name) || dependencies.has(typesPackage)) return undefined;
  return `${home} does not declare ${name}`;
}

/**
 * Every import in `files` that crosses a wall. `packageDependencies` maps a package folder (packages/ec2-sim) to
 * the names in its package.json (dependencies, devDependencies).
 */
export function checkLayout(
  files: readonly SourceFile[],
  packageDependencies: ReadonlyMap<string, ReadonlySet<string>>,
): LayoutViolation[] {
  const violations: LayoutViolation[] = [];
  for (const file of files) {
    const room = PRODUCT_ROOMS.find((candidate) => file.path.startsWith(candidate.prefix));
    const home = file.path.startsWith('packages/') ? file.path.split('/').slice(0, 2).join('/') : undefined;
    for (const specifier of importsOf(file)) {
      const reason = room
        ? productViolation(room, file.path, specifier)
        : home
          ? packageViolation(file.path, specifier, packageDependencies.get(home) ?? new Set())
          : undefined;
      if (reason) violations.push({ file: file.path, specifier, reason });
    }
  }
  return violations;
}
