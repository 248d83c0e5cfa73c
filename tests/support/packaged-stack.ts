/**
 * The stack as `sls package` writes it. `npx sls package` (which .ci/run runs before the tests) leaves it in the
 * checkout's `.serverless/`; that output is reused when it is the default stage and newer than everything it is made
 * from, so CI packages once. Otherwise the stack is packaged into a temporary folder, removed afterwards: the
 * checkout's `.serverless/` is never written or deleted by a test.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const STAGE = 'dev';
/**
 * What the packaged template is made from (serverless.yml and the package-time helpers it loads from build/): any
 * of them newer than the output means the output is stale.
 */
function inputsOf(repo: string): string[] {
  const helpers = existsSync(path.join(repo, 'build')) ? readdirSync(path.join(repo, 'build')).map((name) => path.join('build', name)) : [];
  return ['serverless.yml', 'package.json', 'package-lock.json', ...helpers];
}

export interface PackagedStack {
  /** The folder holding the template and the function zips. */
  readonly directory: string;
  /** true when the checkout's `.serverless/` was reused rather than packaged for this run. */
  readonly reused: boolean;
  /** Removes what this run packaged (never the checkout's `.serverless/`). */
  release(): void;
}

/** The environment of a CI machine with no AWS account: no AWS_* variables and no readable credential files. */
export function credentialFreeEnvironment(): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...environment,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    SLS_TELEMETRY_DISABLED: '1',
  };
}

/** The checkout's `.serverless/` when it holds a current default-stage package, else undefined. */
export function currentCheckoutPackage(repo: string): string | undefined {
  const directory = path.join(repo, '.serverless');
  const template = path.join(directory, TEMPLATE_FILE);
  const state = path.join(directory, 'serverless-state.json');
  if (!existsSync(template) || !existsSync(state)) return undefined;
  const stage = (JSON.parse(readFileSync(state, 'utf8')) as { service?: { provider?: { stage?: string } } }).service?.provider?.stage;
  if (stage !== STAGE) return undefined;
  const builtAt = statSync(template).mtimeMs;
  const stale = inputsOf(repo).some((input) => existsSync(path.join(repo, input)) && statSync(path.join(repo, input)).mtimeMs > builtAt);
  return stale ? undefined : directory;
}

export async function packagedStack(repo: string): Promise<PackagedStack> {
  const reusable = currentCheckoutPackage(repo);
  if (reusable !== undefined) return { directory: reusable, reused: true, release: () => undefined };
  return packageWithParams(repo, {});
}

/**
 * One `sls package` is given this long. It usually takes under a minute; once in a full suite it hung (the package
 * and its esbuild service still alive after 240 s, cause not found), so a run past this is killed with everything
 * it started and tried once more.
 */
const PACKAGE_ATTEMPT_MS = 150_000;
const PACKAGE_ATTEMPTS = 2;
/** What a test's hook must allow for packagedStack / packageWithParams: every attempt, and reading the result. */
export const PACKAGE_HOOK_TIMEOUT_MS = PACKAGE_ATTEMPT_MS * PACKAGE_ATTEMPTS + 30_000;

/** An attempt killed for taking longer than PACKAGE_ATTEMPT_MS: the one kind of failure tried again. */
class PackageTimedOut extends Error {}

/** Runs `npx sls ...` in its own process group, killed as a whole past PACKAGE_ATTEMPT_MS. */
function runPackage(repo: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['sls', ...args], {
      cwd: repo,
      env: credentialFreeEnvironment(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, PACKAGE_ATTEMPT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new (timedOut ? PackageTimedOut : Error)(
            `sls ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}:\n${Buffer.concat(output).toString('utf8').slice(-4_000)}`,
          ),
        );
    });
  });
}

/** The stack packaged afresh into a temporary folder, with these `--param` values. */
export async function packageWithParams(repo: string, params: Readonly<Record<string, string>>): Promise<PackagedStack> {
  const paramArgs = Object.entries(params).map(([name, value]) => `--param=${name}=${value}`);
  for (let attempt = 1; ; attempt += 1) {
    const directory = mkdtempSync(path.join(tmpdir(), 'vmo-package-'));
    try {
      await runPackage(repo, ['package', '--stage', STAGE, '--package', directory, ...paramArgs]);
      return { directory, reused: false, release: () => rmSync(directory, { recursive: true, force: true }) };
    } catch (error) {
      rmSync(directory, { recursive: true, force: true });
      // A package that fails on its own fails the same way again: only a hung one is tried once more.
      if (!(error instanceof PackageTimedOut) || attempt >= PACKAGE_ATTEMPTS) throw error;
    }
  }
}
