/**
 * The esbuild settings serverless-esbuild uses for this service, read from serverless.yml, so that the bench measures
 * the bundles Lambda would run. Mirrors serverless-esbuild 1.x: its defaults, then `custom.esbuild`, with the
 * plugin-only keys removed, `exclude` turned into externals and the target derived from the provider runtime.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildOptions } from 'esbuild';
import YAML from 'yaml';

export interface FunctionEntry {
  /** The function's key in serverless.yml. */
  readonly name: string;
  /** Absolute path of the TypeScript entry. */
  readonly entry: string;
  /** Exported handler name (the part after the last dot of `handler`). */
  readonly exportName: string;
}

export interface BundleSettings {
  readonly source: string;
  readonly esbuild: BuildOptions;
  readonly outputExtension: string;
  readonly functions: readonly FunctionEntry[];
}

/** Keys serverless-esbuild consumes itself and removes before calling esbuild (dist/bundle.js). */
const PLUGIN_ONLY_KEYS = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
]);

function asStringArray(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

function resolveEntry(root: string, handler: string): { entry: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`serverless.yml: handler "${handler}" is not "<file>.<export>"`);
  const base = handler.slice(0, dot);
  for (const extension of ['.ts', '.mts', '.js', '.mjs']) {
    const candidate = path.join(root, base + extension);
    if (existsSync(candidate)) return { entry: candidate, exportName: handler.slice(dot + 1) };
  }
  throw new Error(`serverless.yml: no source file for handler "${handler}" (looked for ${base}.ts/.mts/.js/.mjs)`);
}

export function loadBundleSettings(root: string): BundleSettings {
  const file = path.join(root, 'serverless.yml');
  if (!existsSync(file)) throw new Error(`no serverless.yml in ${root}: bundles are built with its esbuild settings`);
  // Plain YAML with long-form intrinsics only: the stack's contract, which local/cloud's readStack relies on too.
  const service = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const provider = (service['provider'] ?? {}) as Record<string, unknown>;
  const custom = ((service['custom'] ?? {}) as Record<string, unknown>)['esbuild'] as Record<string, unknown> | undefined;
  if (custom?.['config'] !== undefined) {
    throw new Error('serverless.yml: custom.esbuild.config (a JS config file) is not supported by the bench; inline the options');
  }
  const runtime = String(provider['runtime'] ?? '');
  const runtimeMatch = /^nodejs(\d+)\.x$/.exec(runtime);
  const userOptions = custom ?? {};

  const esbuildOptions: Record<string, unknown> = { bundle: true, platform: 'node', target: 'node18' };
  if (runtimeMatch) esbuildOptions['target'] = `node${runtimeMatch[1]}`;
  for (const [key, value] of Object.entries(userOptions)) {
    if (!PLUGIN_ONLY_KEYS.has(key)) esbuildOptions[key] = value;
  }
  // serverless-esbuild takes `plugins` as a path to a module exporting the plugin array, relative to the service.
  if (typeof userOptions['plugins'] === 'string') esbuildOptions['plugins'] = createRequire(file)(path.join(root, userOptions['plugins']));
  const exclude = userOptions['exclude'] === undefined ? ['aws-sdk'] : asStringArray(userOptions['exclude']);
  esbuildOptions['external'] = [...asStringArray(userOptions['external']), ...(exclude.includes('*') ? [] : exclude)];
  const outputExtension = typeof userOptions['outputFileExtension'] === 'string' ? userOptions['outputFileExtension'] : '.js';
  if (outputExtension !== '.js') esbuildOptions['outExtension'] = { '.js': outputExtension };

  const functions = Object.entries((service['functions'] ?? {}) as Record<string, Record<string, unknown>>).map(([name, definition]) => {
    const handler = definition['handler'];
    if (typeof handler !== 'string') throw new Error(`serverless.yml: function ${name} has no handler`);
    return { name, ...resolveEntry(root, handler) };
  });
  if (functions.length === 0) throw new Error('serverless.yml declares no functions');
  return { source: file, esbuild: esbuildOptions as BuildOptions, outputExtension, functions };
}
