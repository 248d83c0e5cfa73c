/**
 * The repository is self-contained: no file names an absolute path of the machine it was written on, and no relative
 * path in code or docs climbs out of the repository (the fixtures and AWS's schemas live in tests/fixtures). Files
 * are found by walking the tree, so the check also runs in CI's copy of the repository, which has no .git.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.serverless', '.esbuild', '.ci-out', 'coverage', 'tmp']);
const TEXT_FILE = /\.(ts|cts|mts|js|cjs|mjs|json|jsonc|ya?ml|md)$|^\.(editorconfig|nvmrc|gitignore)$|^run$/;
/** Relative paths that are not paths of this repository, by file, with why. */
const NOT_REPOSITORY_PATHS: Readonly<Record<string, readonly string[]>> = {
  // Source paths inside a bundle's source map, relative to the map, quoted in a comment.
  'bench/profile/summarize.ts': ['../../../..'],
  // The line above, quoted in this file.
  'tests/unit/self-contained.test.ts': ['../../../..'],
};
/** A relative path as written in code or docs: one or more ../ then a name. */
const RELATIVE_PATH = /(?:\.\.\/)+[\w.-]+(?:\/[\w.-]+)*/g;

function repositoryFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : repositoryFiles(full);
    return TEXT_FILE.test(entry.name) ? [full] : [];
  });
}

/** Relative paths in this text that, resolved from the file's folder, land outside the repository. */
function pathsLeavingRepository(file: string, text: string, repo: string): string[] {
  return [...text.matchAll(RELATIVE_PATH)]
    .map(([written]) => written)
    .filter((written) => {
      const resolved = path.resolve(path.dirname(file), written);
      return resolved !== repo && !resolved.startsWith(`${repo}${path.sep}`);
    });
}

describe('the repository', () => {
  const files = repositoryFiles(REPO);
  const self = path.relative(REPO, __filename);

  it('is walked whole: code, tests, docs and configuration', () => {
    const relative = files.map((file) => path.relative(REPO, file));
    expect(relative).toEqual(expect.arrayContaining(['README.md', 'serverless.yml', 'package.json', 'docs/AWS-FACTS.md', '.ci/run', self]));
  });

  it('names no absolute path of the machine it was written on', () => {
    const machinePath = ['', 'work', ''].join('/');
    const offenders = files.filter((file) => readFileSync(file, 'utf8').includes(machinePath)).map((file) => path.relative(REPO, file));
    expect(offenders).toEqual([]);
  });

  it('has no relative path that leaves the repository', () => {
    const offenders = files.flatMap((file) => {
      const relative = path.relative(REPO, file);
      const known = NOT_REPOSITORY_PATHS[relative] ?? [];
      return pathsLeavingRepository(file, readFileSync(file, 'utf8'), REPO)
        .filter((written) => !known.includes(written))
        .map((written) => `${relative}: ${written}`);
    });
    expect(offenders).toEqual([]);
  });

  it('would catch a fixture read from beside the repository', () => {
    const file = path.join(REPO, 'tests', 'local', 'example.test.ts');
    // Assembled, so that this file does not itself name a folder beside the repository.
    const besideTheRepository = ['..', '..', '..', 'shared', 'fixtures', 'events'].join('/');
    expect(pathsLeavingRepository(file, `path.resolve(__dirname, '${besideTheRepository}')`, REPO)).toEqual([besideTheRepository]);
    expect(pathsLeavingRepository(file, "import { x } from '../../shared/domain/types';", REPO)).toEqual([]);
  });
});
