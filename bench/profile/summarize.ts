/**
 * Summarises the handler CPU profiles written by profile/preload.cjs: busy time by category (AWS SDK, Node runtime,
 * module loading, our code) and by package, mapping bundle positions back to sources through the bundles' source
 * maps. Usage: npx tsx bench/profile/summarize.ts <profile dir> [bundle dir]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { bundleDirectory } from '../bundles/build';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface Profile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const profileDir = process.argv[2];
if (!profileDir) throw new Error('usage: summarize.ts <profile dir> [bundle dir]');
const bundleDir = path.join(process.argv[3] ?? bundleDirectory(path.resolve(__dirname, '..', '..')), 'functions');
const maps = new Map<string, SourceMap | undefined>();

function sourceOf(frame: CallFrame): string | undefined {
  const file = path.basename(frame.url);
  if (!frame.url.includes(bundleDir) && !frame.url.endsWith(`/functions/${file}`)) return undefined;
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(readFileSync(path.join(bundleDir, `${file}.map`), 'utf8'))));
    } catch {
      maps.set(file, undefined);
    }
  }
  const entry = maps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string } | undefined;
  // Sources are relative to the map (../../../../@smithy/...): resolve them to tell packages from our files.
  return entry?.originalSource === undefined ? undefined : path.resolve(bundleDir, entry.originalSource.replace(/^file:\/\//, ''));
}

function categorise(frame: CallFrame): { category: string; pkg: string } {
  if (frame.functionName === '(garbage collector)') return { category: 'Node runtime (HTTP, streams, crypto, GC)', pkg: 'GC' };
  const source = sourceOf(frame);
  if (source !== undefined) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    if (match?.[1]) {
      const pkg = match[1];
      return { category: /^@(aws-sdk|smithy)\//.test(pkg) ? 'AWS SDK' : 'other dependencies', pkg };
    }
    if (/\/(shared|functions)\//.test(source)) {
      return { category: 'our code (shared/, functions/)', pkg: source.replace(/^.*\/(shared|functions)\//, '$1/') };
    }
    return { category: 'unmapped', pkg: source };
  }
  if (/modules\/|cjs-module-lexer|get_format/.test(frame.url) || frame.functionName === 'wrapSafe') {
    return { category: 'module loading', pkg: frame.url || frame.functionName };
  }
  if (frame.url.startsWith('node:') || frame.url === '')
    return { category: 'Node runtime (HTTP, streams, crypto, GC)', pkg: frame.url || frame.functionName };
  return { category: 'unmapped', pkg: frame.url };
}

const byCategory = new Map<string, number>();
const byPackage = new Map<string, number>();
let busyMs = 0;
let files = 0;
for (const file of readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'))) {
  files += 1;
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as Profile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id);
    if (!frame || frame.functionName === '(idle)' || frame.functionName === '(program)') return;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const { category, pkg } = categorise(frame);
    busyMs += ms;
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  });
}
const share = (ms: number) => `${((ms / busyMs) * 100).toFixed(1)} %`;
process.stdout.write(`${files} profiles, ${(busyMs / 1000).toFixed(1)} s busy\n\nby category\n`);
for (const [name, ms] of [...byCategory].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${share(ms).padStart(7)}  ${name}\n`);
process.stdout.write('\nby package or file (top 15)\n');
for (const [name, ms] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15))
  process.stdout.write(`  ${share(ms).padStart(7)}  ${name}\n`);
