/**
 * `npm run bench`: measures the orchestrator on the local cloud and writes BENCHMARKS.md.
 * Method and how to read the table: docs/PERFORMANCE.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BuiltBundle, buildBundles, buildVariant } from './bundles/build';
import { measureFunctions } from './bundles/section';
import { loadBundleSettings } from './bundles/settings';
import { runBurst } from './burst/section';
import { runLatency } from './latency/section';
import { describeMachine } from './machine';
import { describeOptions, parseBenchOptions, partCommand } from './options';
import { ORGANIZATION_RATIO_GOAL, runOrganizationBench } from './org/section';
import { type BenchReport, notMeasured, type ReportSection } from './report/model';
import { renderReadmeBlock, replaceReadmeBlock } from './report/readme-block';
import { renderMarkdown, renderTerminal } from './report/render';
import { runSweepBench } from './sweep/section';

const ROOT = path.resolve(__dirname, '..');

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const startedAt = new Date();
  const sections: ReportSection[] = [];
  const findings: string[] = [];

  const settings = loadBundleSettings(ROOT);
  log(`bundling ${settings.functions.length} functions with serverless.yml's esbuild settings`);
  const { dir, bundles } = await buildBundles(settings, ROOT);

  let failed = false;
  if (!options.skipBurst) {
    try {
      const burst = await runBurst(ROOT, dir, options, log);
      sections.push(...burst.sections);
      findings.push(...burst.findings);
    } catch (error) {
      // The bundle measurements still stand; the report says what broke instead of leaving no report at all.
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      log(`burst failed: ${reason}`);
      sections.push({
        title: 'Burst (local cloud, EC2 throttling on)',
        rows: [notMeasured('burst', '-', `the burst failed: ${reason}`)],
        inReadme: true,
      });
      findings.push(`The burst failed before it could be measured: ${reason}.`);
    }
  }
  if (!options.skipLatency) {
    try {
      const latency = await runLatency(ROOT, dir, options, log);
      sections.push(latency.section);
      findings.push(...latency.findings);
    } catch (error) {
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      log(`latency failed: ${reason}`);
      sections.push({
        title: 'Single-event latency',
        rows: [notMeasured('latency', '-', `the measurement failed: ${reason}`)],
        inReadme: true,
      });
    }
  }
  if (!options.skipSweep) {
    try {
      const swept = await runSweepBench(ROOT, dir, options, log);
      sections.push(swept.section);
      findings.push(...swept.findings);
    } catch (error) {
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      log(`sweep failed: ${reason}`);
      sections.push({
        title: 'Steady-state sweep',
        rows: [notMeasured('sweep', '-', `the measurement failed: ${reason}`)],
        inReadme: true,
      });
    }
  }
  // A part left out says so, and why, rather than vanishing from the report (and from the README's block).
  for (const [part, skipped] of [
    ['burst', options.skipBurst],
    ['latency', options.skipLatency],
    ['sweep', options.skipSweep],
  ] as const) {
    if (skipped) {
      sections.push({
        title: `Not measured: ${part}`,
        rows: [notMeasured(part, '-', `skipped by --skip-${part} in this run`)],
        inReadme: true,
      });
    }
  }
  if (options.org) {
    try {
      const organization = await runOrganizationBench(ROOT, dir, options, log);
      sections.push(organization.section);
      findings.push(...organization.findings);
    } catch (error) {
      failed = true;
      const reason = error instanceof Error ? error.message : String(error);
      log(`organization burst failed: ${reason}`);
      sections.push({ title: 'Organization burst', rows: [notMeasured('organization burst', '-', `the burst failed: ${reason}`)] });
    }
  } else {
    // Said, not left out: the report names the command that measures it.
    sections.push({
      title: 'Organization burst',
      command: partCommand(options, 'org'),
      rows: [notMeasured('organization: time to converge / organization limit', `<= ${ORGANIZATION_RATIO_GOAL}`, 'not run: add --org')],
    });
  }
  if (!options.skipBundles) {
    const variants: BuiltBundle[] = [];
    const first = settings.functions[0];
    // What-if: esbuild prefers `main` (the SDK's CommonJS build, not tree-shakable) on platform node unless told.
    if (first && settings.esbuild.mainFields === undefined) {
      variants.push(await buildVariant(settings, ROOT, first, 'mainFields module,main', { mainFields: ['module', 'main'] }));
    }
    // What-if: only the environment credential provider (what Lambda uses) instead of the whole default chain.
    if (first && settings.esbuild.alias?.['@aws-sdk/credential-provider-node'] === undefined) {
      variants.push(
        await buildVariant(settings, ROOT, first, 'env credentials', {
          alias: {
            ...settings.esbuild.alias,
            '@aws-sdk/credential-provider-node': path.join(ROOT, 'bench', 'bundles', 'env-credentials.ts'),
          },
        }),
      );
    }
    // What-if: the SDK left to the Lambda runtime (nodejs24.x ships SDK v3); here it loads from node_modules.
    if (first && !(settings.esbuild.external ?? []).some((pattern) => pattern.startsWith('@aws-sdk'))) {
      variants.push(
        await buildVariant(settings, ROOT, first, 'SDK external', {
          external: [...(settings.esbuild.external ?? []), '@aws-sdk/*', '@smithy/*'],
        }),
      );
    }
    const functions = measureFunctions(ROOT, bundles, variants, options.initRuns, options.seed, log);
    sections.push(functions.section);
    findings.push(...functions.findings);
  }

  const report: BenchReport = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, ''),
    startedAt,
    machine: describeMachine(),
    options: describeOptions(options),
    sections,
    findings,
  };
  process.stdout.write(`${renderTerminal(report)}\n`);
  const out = path.resolve(ROOT, options.out);
  writeFileSync(out, renderMarkdown(report));
  log(`wrote ${path.relative(process.cwd(), out) || out}`);
  // The README quotes the run that BENCHMARKS.md holds, never a partial run written elsewhere.
  if (out === path.join(ROOT, 'BENCHMARKS.md')) {
    const readme = path.join(ROOT, 'README.md');
    writeFileSync(readme, replaceReadmeBlock(readFileSync(readme, 'utf8'), renderReadmeBlock(report)));
    log('updated the figures in README.md');
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
