/** The "Functions" section of the report: bundle size and module-initialisation ratio per function. */
import path from 'node:path';
import { readStack } from '../../local/cloud/stack';
import { atMost, formatNumber, informative, judged, type ReportRow, type ReportSection } from '../report/model';
import { type BuiltBundle, EMPTY_BASELINE } from './build';
import { type InitTimingResult, lambdaLikeEnvironment, measureInitTimes } from './init-time';

/** Lambda's own figure: a deployment package is judged in decimal megabytes. */
const BUNDLE_GOAL_BYTES = 1_000_000;

export interface FunctionsMeasurement {
  readonly section: ReportSection;
  readonly findings: string[];
}

const kb = (bytes: number): string => `${formatNumber(bytes / 1000, 1)} kB`;
const mib = (bytes: number): string => `${formatNumber(bytes / 1024 / 1024, 1)} MiB`;

function withoutSourceMapsFlag(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const options = (environment['NODE_OPTIONS'] ?? '').split(/\s+/).filter((flag) => flag !== '--enable-source-maps');
  return { ...environment, NODE_OPTIONS: options.join(' ') };
}

export function measureFunctions(
  root: string,
  bundles: readonly BuiltBundle[],
  variants: readonly BuiltBundle[],
  runs: number,
  seed: number,
  log: (line: string) => void,
): FunctionsMeasurement {
  const stack = readStack(path.join(root, 'serverless.yml'));
  const environmentByFunction = new Map(stack.functions.map((fn) => [fn.key, fn.environment]));
  const providerLike = stack.functions[0]?.environment ?? {};
  const environmentOf = (bundle: BuiltBundle): NodeJS.ProcessEnv =>
    lambdaLikeEnvironment(bundle.name, environmentByFunction.get(bundle.name) ?? providerLike);
  const measured = [...bundles, ...variants];

  const sourceMapsFlag = /--enable-source-maps/.test(environmentOf(bundles[0] as BuiltBundle)['NODE_OPTIONS'] ?? '');
  const conditions = [
    { label: 'stack environment', environmentOf },
    ...(sourceMapsFlag
      ? [{ label: 'without --enable-source-maps', environmentOf: (b: BuiltBundle) => withoutSourceMapsFlag(environmentOf(b)) }]
      : []),
  ];
  log(
    `measuring module initialisation: ${runs} fresh node processes per bundle and condition (${conditions.map((c) => c.label).join(', ')}), interleaved`,
  );
  const results = measureInitTimes(measured, conditions, runs, seed, EMPTY_BASELINE);
  const timings = results.get('stack environment') as InitTimingResult;
  const withoutFlag: InitTimingResult | undefined = results.get('without --enable-source-maps');

  const rows: ReportRow[] = [];
  const findings: string[] = [];
  const oversized: { name: string; bytes: number; contributors: string }[] = [];
  const baseline = timings.baseline;
  rows.push(
    informative(
      'empty handler: process start to loaded (median)',
      `${formatNumber(baseline.startToLoadedMs, 1)} ms`,
      `${baseline.runs} runs; the denominator of every init ratio`,
    ),
  );
  for (const bundle of measured) {
    if (bundle.name === EMPTY_BASELINE) continue;
    const isVariant = variants.includes(bundle);
    const timing = timings.byFunction.get(bundle.name);
    const contributors = bundle.topContributors.map((c) => `${c.name} ${kb(c.bytes)}`).join(', ');
    const zip = bundle.packagedZipBytes === undefined ? '' : `; sls package zip ${kb(bundle.packagedZipBytes)}`;
    rows.push(
      isVariant
        ? informative(`what-if ${bundle.name}: bundle size`, kb(bundle.bytes), `not the deployed bundle; largest: ${contributors}`)
        : judged(
            `${bundle.name}: bundle size`,
            bundle.bytes / 1e6,
            atMost(BUNDLE_GOAL_BYTES / 1e6, ' MB'),
            kb(bundle.bytes),
            `largest: ${contributors}${zip}`,
          ),
    );
    if (!isVariant && bundle.bytes > BUNDLE_GOAL_BYTES) oversized.push({ name: bundle.name, bytes: bundle.bytes, contributors });
    if (!timing) continue;
    const alt = withoutFlag?.byFunction.get(bundle.name);
    const altNote = alt
      ? `; without --enable-source-maps ${formatNumber(alt.ratioToBaseline)}x (${formatNumber(alt.startToLoadedMs, 1)} ms)`
      : '';
    rows.push(
      informative(
        `${isVariant ? 'what-if ' : ''}${bundle.name}: init time / empty handler`,
        `${formatNumber(timing.ratioToBaseline)}x`,
        `median ${formatNumber(timing.startToLoadedMs, 1)} ms start-to-loaded (require ${formatNumber(timing.loadMs, 1)} ms), RSS once loaded ${mib(timing.rssBytes)} (empty ${mib(baseline.rssBytes)}), ${timing.runs} runs${altNote}`,
      ),
    );
  }
  if (oversized.length > 0) {
    findings.push(
      `Bundles over 1 MB: ${oversized.map((o) => `${o.name} ${kb(o.bytes)}`).join(', ')}; largest parts (${oversized[0]?.name}): ${oversized[0]?.contributors}.`,
    );
  }
  if (withoutFlag) {
    const variantNames = new Set(variants.map((variant) => variant.name));
    const pairs = [...timings.byFunction.entries()]
      .filter(([name]) => !variantNames.has(name))
      .flatMap(([name, timing]) => {
        const alt = withoutFlag?.byFunction.get(name);
        return alt ? [{ name, saved: timing.startToLoadedMs - alt.startToLoadedMs }] : [];
      });
    const savedMedian = pairs.length > 0 ? ([...pairs].sort((a, b) => a.saved - b.saved)[Math.floor(pairs.length / 2)]?.saved ?? 0) : 0;
    findings.push(
      `NODE_OPTIONS=--enable-source-maps (serverless.yml provider.environment) costs a median ${formatNumber(savedMedian, 1)} ms ` +
        `of module initialisation per function here (${pairs.map((p) => `${p.name} ${formatNumber(p.saved, 1)} ms`).join(', ')}).`,
    );
  }
  for (const variant of variants) {
    const baseName = variant.name.replace(/ \(.*\)$/, '');
    const base = bundles.find((bundle) => bundle.name === baseName);
    const baseTiming = timings.byFunction.get(baseName);
    const variantTiming = timings.byFunction.get(variant.name);
    if (!base || !baseTiming || !variantTiming) continue;
    findings.push(
      `What-if ${variant.name}: bundle ${kb(base.bytes)} -> ${kb(variant.bytes)} (${formatNumber((1 - variant.bytes / base.bytes) * 100, 0)} % smaller), ` +
        `init ${formatNumber(baseTiming.startToLoadedMs, 0)} -> ${formatNumber(variantTiming.startToLoadedMs, 0)} ms median ` +
        `(ratio ${formatNumber(baseTiming.ratioToBaseline)}x -> ${formatNumber(variantTiming.ratioToBaseline)}x), ` +
        `RSS once loaded ${mib(baseTiming.rssBytes)} -> ${mib(variantTiming.rssBytes)}.`,
    );
  }
  return { section: { title: 'Functions (bundles and cold start)', rows }, findings };
}
