/**
 * Every `$ mirrorctl ...` example of docs/CLI.md, run as written (through a shell, so pipes to jq work) against the
 * world `npm run local` starts, and for --stack / --stage against a loopback CloudFormation + Lambda serving the
 * packaged template, and those marked `# exit N in the organization` against an organization (security account and
 * two members, one without its spoke role). Each example states its exit code (`# exit N`); the output shown must appear, in order, in what
 * the command prints (ids, ports and trigger ids aside: they differ from run to run; `...` stands for lines left out).
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type StackApi, startStackApi } from '../../local/stack-api/server';
import { type LocalWorld, startLocalWorld } from '../../local/world/world';
import { PACKAGE_HOOK_TIMEOUT_MS, type PackagedStack, packageWithParams, TEMPLATE_FILE } from '../support/packaged-stack';
import { useScratchDir } from '../support/scratch-dir';
import { BIN, cleanEnvironment } from './bin-run';
import { type OrganizationWorld, startOrganizationWorld } from './organization-world';

const DOC = path.join(__dirname, '..', '..', 'docs', 'CLI.md');
const REPO = path.join(__dirname, '..', '..');

interface Example {
  readonly line: number;
  readonly command: string;
  readonly exitCode: number;
  readonly output: readonly string[];
  /** `# exit N in the organization`: run against the organization (tests/cli/organization-world.ts), in order. */
  readonly organization: boolean;
}

/** The examples, in document order: an indented `$ mirrorctl` line, then its indented output up to the next one. */
function examplesOf(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  lines.forEach((text, index) => {
    const match = /^ {4}\$ (mirrorctl .*?)\s+# exit (\d)( in the organization)?$/.exec(text);
    if (!match) {
      if (/^ {4}\$ mirrorctl /.test(text)) throw new Error(`docs/CLI.md:${index + 1}: example without "# exit N": ${text}`);
      return;
    }
    const output: string[] = [];
    for (let next = index + 1; next < lines.length; next += 1) {
      const candidate = lines[next] as string;
      if (candidate.startsWith('    $ ') || (candidate !== '' && !candidate.startsWith('    '))) break;
      output.push(candidate.slice(4));
    }
    while (output.length > 0 && output[output.length - 1] === '') output.pop();
    examples.push({
      line: index + 1,
      command: match[1] as string,
      exitCode: Number(match[2]),
      output,
      organization: match[3] !== undefined,
    });
  });
  return examples;
}

/** The fleet line of the documented `npm run local` session: fleet name -> the instance id the doc shows. */
function documentedFleet(markdown: string): Map<string, string> {
  const fleet = /# fleet: (.*)$/m.exec(markdown)?.[1] ?? '';
  return new Map(fleet.split(', ').map((entry) => entry.split(' ') as [string, string]));
}

const normalize = (text: string): string =>
  text
    .replace(/\b(i|eni|tmt|tmf|tms)-[0-9a-f]{17}\b/g, '$1-*')
    .replace(/mirrorctl-[0-9a-f-]{36}/g, 'mirrorctl-*')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:*')
    .trimEnd();

/** The documented lines (without `...`) appear in `actual` in the same order. */
function missingLines(documented: readonly string[], actual: string): string[] {
  const actualLines = actual.split('\n').map(normalize);
  let cursor = 0;
  const missing: string[] = [];
  for (const line of documented.filter((candidate) => candidate.trim() !== '...').map(normalize)) {
    const found = actualLines.indexOf(line, cursor);
    if (found < 0) missing.push(line);
    else cursor = found + 1;
  }
  return missing;
}

function shell(command: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `${command} 2>&1`], { env, timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, output: stdout });
    });
  });
}

const markdown = readFileSync(DOC, 'utf8');
const examples = examplesOf(markdown);
const scratch = useScratchDir('mirrorctl-docs-');
let world: LocalWorld;
let packaged: PackagedStack;
let stackApi: StackApi;
let worldEnv: Record<string, string>;
let organization: OrganizationWorld;
let organizationEnv: Record<string, string>;
let stackEnv: Record<string, string>;
let translate: (command: string) => string;

beforeAll(async () => {
  world = await startLocalWorld({ seed: 1 });
  const targetIds = world.env.MIRROR_TARGET_IDS as string;
  packaged = await packageWithParams(REPO, { targetIds, filterId: world.filterId });
  const template = JSON.parse(readFileSync(path.join(packaged.directory, TEMPLATE_FILE), 'utf8'));
  stackApi = await startStackApi([
    {
      stackName: 'vpc-mirror-orchestrator-dev',
      region: world.env.AWS_REGION as string,
      accountId: '111122223333',
      physicalIds: { LedgerTable: world.env.LEDGER_TABLE_NAME as string },
      template,
    },
  ]);
  // `mirrorctl` on the PATH, as after `npm link`.
  const bin = scratch();
  writeFileSync(path.join(bin, 'mirrorctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(path.join(bin, 'mirrorctl'), 0o755);
  const shellEnv = { ...cleanEnvironment(), PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  worldEnv = { ...shellEnv, ...world.env };
  // After `sls deploy`: only AWS access in the shell, and the stack.
  const access = Object.fromEntries(Object.entries(world.env).filter(([name]) => name.startsWith('AWS_')));
  stackEnv = { ...shellEnv, ...access, AWS_ENDPOINT_URL_CLOUDFORMATION: stackApi.url, AWS_ENDPOINT_URL_LAMBDA: stackApi.url };
  // The doc names instances by the ids of its session; this run's world may give a fleet name another id.
  const renamed = [...documentedFleet(markdown)].map(
    ([name, documentedId]) => [documentedId, world.instances.get(name) ?? documentedId] as const,
  );
  translate = (command) => renamed.reduce((text, [from, to]) => text.split(from).join(to), command);
  organization = await startOrganizationWorld();
  organizationEnv = { ...shellEnv, ...organization.env };
}, PACKAGE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await organization?.stop();
  await stackApi?.stop();
  packaged?.release();
  await world?.stop();
});

describe('docs/CLI.md examples', () => {
  it('has examples, each with its exit code', () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  it.each(examples.map((example) => [`line ${example.line}: ${example.command}`, example] as const))('%s', async (_, example) => {
    const env = example.organization ? organizationEnv : /--(stack|stage)\b/.test(example.command) ? stackEnv : worldEnv;

    const { code, output } = await shell(translate(example.command), env);

    expect({ code, missing: missingLines(example.output, output) }).toEqual({ code: example.exitCode, missing: [] });
  });
});
