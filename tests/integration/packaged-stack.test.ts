/** The template test's source of the packaged stack: the checkout's `.serverless/` when current, never deleted. */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentCheckoutPackage, packagedStack, TEMPLATE_FILE } from '../support/packaged-stack';
import { useScratchDir } from '../support/scratch-dir';

const scratch = useScratchDir('vmo-packaged-');

/** A checkout whose `.serverless/` was packaged for `stage`, `ageSeconds` after serverless.yml was last written. */
function checkout(name: string, stage: string, ageSeconds: number): string {
  const repo = path.join(scratch(), name);
  const output = path.join(repo, '.serverless');
  mkdirSync(output, { recursive: true });
  writeFileSync(path.join(repo, 'serverless.yml'), 'service: example\n');
  writeFileSync(path.join(output, TEMPLATE_FILE), '{"Resources":{}}');
  writeFileSync(path.join(output, 'serverless-state.json'), JSON.stringify({ service: { provider: { stage } } }));
  const written = new Date('2026-01-01T00:00:00Z');
  utimesSync(path.join(repo, 'serverless.yml'), written, written);
  const packaged = new Date(written.getTime() + ageSeconds * 1000);
  utimesSync(path.join(output, TEMPLATE_FILE), packaged, packaged);
  return repo;
}

describe('the packaged stack', () => {
  it("reuses the checkout's .serverless/ when it is the default stage, packaged after serverless.yml changed", () => {
    const repo = checkout('current', 'dev', 60);

    expect(currentCheckoutPackage(repo)).toBe(path.join(repo, '.serverless'));
  });

  it('packages afresh when serverless.yml or a build/ helper changed after the packaging, or the output is for another stage', () => {
    expect(currentCheckoutPackage(checkout('stale', 'dev', -60))).toBeUndefined();
    const helperChanged = checkout('helper-changed', 'dev', 60);
    mkdirSync(path.join(helperChanged, 'build'));
    writeFileSync(path.join(helperChanged, 'build', 'event-bus-arn.cjs'), 'module.exports = {};\n');
    expect(currentCheckoutPackage(helperChanged)).toBeUndefined();
    expect(currentCheckoutPackage(checkout('prod', 'prod', 60))).toBeUndefined();
    expect(currentCheckoutPackage(path.join(scratch(), 'never-packaged'))).toBeUndefined();
  });

  it("leaves the checkout's .serverless/ in place when released", async () => {
    const repo = checkout('kept', 'dev', 60);

    const stack = await packagedStack(repo);
    stack.release();

    expect(stack.reused).toBe(true);
    expect(existsSync(path.join(repo, '.serverless', TEMPLATE_FILE))).toBe(true);
  });
});
