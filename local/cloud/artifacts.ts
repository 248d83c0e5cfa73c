/**
 * Where each function's code comes from: the repo's TypeScript source (run with tsx), or what `sls package`
 * produced (.serverless/<function>.zip with serverless-esbuild's bundle inside, run on plain node), or a folder of
 * already-unpacked bundles (e.g. .esbuild/.build, or a benchmark's own build).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StackFunction } from './stack';

export type CodeSource =
  | { readonly kind: 'source' }
  /** A folder holding `sls package` zips (.serverless) or unpacked bundles (functions/<name>.js). */
  | { readonly kind: 'packaged'; readonly dir: string };

export interface ResolvedCode {
  readonly modulePath: string;
  /** Working directory for the containers: the repo root or the unpacked artifact (LAMBDA_TASK_ROOT). */
  readonly cwd: string;
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'];
const BUNDLE_EXTENSIONS = ['.js', '.cjs', '.mjs'];

export function resolveCode(fn: StackFunction, rootDir: string, source: CodeSource, unpackInto: () => string): ResolvedCode {
  if (source.kind === 'source') {
    const modulePath = firstExisting(path.join(rootDir, fn.modulePath), SOURCE_EXTENSIONS);
    if (!modulePath) throw new Error(`${fn.key}: handler ${fn.handler} has no source file under ${rootDir}`);
    return { modulePath, cwd: rootDir };
  }
  const dir = path.resolve(rootDir, source.dir);
  const unpacked = firstExisting(path.join(dir, fn.modulePath), BUNDLE_EXTENSIONS);
  if (unpacked) return { modulePath: unpacked, cwd: dir };
  const zip = [path.join(dir, `${fn.key}.zip`), ...zipsNamedAfterService(dir)].find((candidate) => existsSync(candidate));
  if (!zip) throw new Error(`${fn.key}: no bundle for ${fn.handler} in ${dir} (run \`npx sls package\` first)`);
  const target = unpackInto();
  try {
    execFileSync('unzip', ['-q', '-o', zip, '-d', target], { stdio: 'pipe', timeout: 60_000 });
  } catch (error) {
    throw new Error(`${fn.key}: cannot unpack ${zip} (is unzip installed?): ${(error as Error).message}`);
  }
  const modulePath = firstExisting(path.join(target, fn.modulePath), BUNDLE_EXTENSIONS);
  if (!modulePath) throw new Error(`${fn.key}: ${zip} holds no ${fn.modulePath}.js`);
  return { modulePath, cwd: target };
}

export function makeUnpackDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'local-cloud-artifact-'));
}

function zipsNamedAfterService(dir: string): string[] {
  // Without `package.individually`, sls package writes one <service>.zip.
  return [path.join(dir, 'vpc-mirror-orchestrator.zip')];
}

function firstExisting(base: string, extensions: readonly string[]): string | undefined {
  return extensions.map((extension) => `${base}${extension}`).find((candidate) => existsSync(candidate));
}
