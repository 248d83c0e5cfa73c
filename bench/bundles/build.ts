/** Builds each function's bundle (and the empty baseline) with the service's esbuild settings, and sizes them. */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { BundleSettings } from './settings';

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly exportName: string;
  /** Bytes of the emitted JavaScript (source maps excluded): what Lambda loads. */
  readonly bytes: number;
  /** Largest contributors to the output, by package (or first-party directory), bytes in output. */
  readonly topContributors: readonly { readonly name: string; readonly bytes: number }[];
  /** Size of the zip `sls package` produced for this function, when one is present in .serverless/. */
  readonly packagedZipBytes?: number;
}

export const EMPTY_BASELINE = '(empty handler)';

function contributor(inputPath: string): string {
  const parts = inputPath.split('/');
  const index = parts.lastIndexOf('node_modules');
  if (index < 0) return parts.slice(0, Math.min(parts.length - 1, 2)).join('/') || inputPath;
  const first = parts[index + 1] ?? inputPath;
  return first.startsWith('@') ? `${first}/${parts[index + 2] ?? ''}` : first;
}

function contributors(metafile: Metafile, outputFile: string, root: string): { name: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([file]) => path.resolve(root, file) === outputFile)?.[1];
  if (!output) return [];
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const key = contributor(input);
    totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
  }
  return [...totals.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
}

function packagedZip(root: string, functionName: string): number | undefined {
  const dir = path.join(root, '.serverless');
  if (!existsSync(dir)) return undefined;
  const zip = readdirSync(dir).find((file) => file.endsWith('.zip') && file.replace(/\.zip$/, '').endsWith(functionName));
  return zip === undefined ? undefined : statSync(path.join(dir, zip)).size;
}

async function buildOne(
  settings: BundleSettings,
  outdir: string,
  name: string,
  entry: string,
  exportName: string,
  root: string,
): Promise<BuiltBundle> {
  // outbase = the repo root keeps the source layout (functions/instance-events.js), as serverless-esbuild's zips do.
  const result = await build({
    ...settings.esbuild,
    absWorkingDir: root,
    entryPoints: [entry],
    outbase: root,
    outdir,
    write: true,
    metafile: true,
    logLevel: 'silent',
  });
  const relative = path.relative(root, entry).replace(/\.[^.]+$/, '');
  const file = path.join(outdir, relative + settings.outputExtension);
  if (!existsSync(file)) throw new Error(`esbuild did not emit ${file} for ${name}`);
  const zip = packagedZip(root, name);
  return {
    name,
    file,
    exportName,
    bytes: statSync(file).size,
    topContributors: contributors(result.metafile, file, root),
    ...(zip === undefined ? {} : { packagedZipBytes: zip }),
  };
}

/**
 * Bundles go under node_modules/.cache so that modules the settings leave external (if any) resolve from the
 * project's node_modules, as they would from the runtime's. The folder has the layout of an unpacked package
 * (functions/<name>.js), so the local cloud can run it as `{ kind: 'packaged', dir }`.
 */
export function bundleDirectory(root: string): string {
  return path.join(root, 'node_modules', '.cache', 'vpc-mirror-bench', 'package');
}

/**
 * One function bundled with extra esbuild options, into its own folder: a what-if measured next to the real
 * bundles (e.g. mainFields module-first, which lets esbuild tree-shake the AWS SDK's ES module build).
 */
export async function buildVariant(
  settings: BundleSettings,
  root: string,
  fn: BundleSettings['functions'][number],
  label: string,
  overrides: Partial<BundleSettings['esbuild']>,
): Promise<BuiltBundle> {
  const dir = path.join(root, 'node_modules', '.cache', 'vpc-mirror-bench', 'variants', label.replace(/[^a-zA-Z0-9_-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  const variant = { ...settings, esbuild: { ...settings.esbuild, ...overrides } };
  return buildOne(variant, dir, `${fn.name} (${label})`, fn.entry, fn.exportName, root);
}

export async function buildBundles(settings: BundleSettings, root: string): Promise<{ dir: string; bundles: BuiltBundle[] }> {
  const dir = bundleDirectory(root);
  rmSync(dir, { recursive: true, force: true });
  const bundles: BuiltBundle[] = [];
  bundles.push(await buildOne(settings, dir, EMPTY_BASELINE, path.join(root, 'bench', 'bundles', 'empty-handler.ts'), 'handler', root));
  for (const fn of settings.functions) {
    bundles.push(await buildOne(settings, dir, fn.name, fn.entry, fn.exportName, root));
  }
  return { dir, bundles };
}
