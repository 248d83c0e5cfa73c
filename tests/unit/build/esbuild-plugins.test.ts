/**
 * The bundle plugin rewrites the AWS SDK's schema modules so tree shaking can drop unused shapes. It must change
 * nothing but computed keys naming a module string constant, and must leave anything else exactly as it was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { inlineSchemaTraitKeys } = require('../../../build/esbuild-plugins.cjs') as { inlineSchemaTraitKeys: (source: string) => string };

describe('inlineSchemaTraitKeys', () => {
  it('writes the constant string in place of a computed key that names it', () => {
    const source = [
      'const _xN = "xmlName";',
      'const _SGI = "SecurityGroupId";',
      'export var Shape = [3, n0, _SGI, { [_xN]: _SGI }, 0];',
    ].join('\n');

    expect(inlineSchemaTraitKeys(source)).toBe(
      ['const _xN = "xmlName";', 'const _SGI = "SecurityGroupId";', 'export var Shape = [3, n0, _SGI, { "xmlName": _SGI }, 0];'].join('\n'),
    );
  });

  it('leaves computed keys alone when the name is not a string constant of the module', () => {
    const source = 'let _dyn = compute();\nexport var Shape = { [_dyn]: 1, [_other]: 2 };';

    expect(inlineSchemaTraitKeys(source)).toBe(source);
  });

  it('rewrites the installed EC2 schema module without leaving a constant-named computed key behind', () => {
    const file = join(require.resolve('@aws-sdk/client-ec2/package.json'), '..', 'dist-es', 'schemas', 'schemas_0.js');
    const source = readFileSync(file, 'utf8');
    const constants = new Set([...source.matchAll(/^const (_\w+) = "[^"\\\n]*";$/gm)].map((match) => match[1]));

    const rewritten = inlineSchemaTraitKeys(source);

    const leftover = [...rewritten.matchAll(/\[(_\w+)\]:/g)].filter((match) => constants.has(match[1]));
    expect(source).toMatch(/\[_\w+\]:/);
    expect(leftover).toEqual([]);
    // Only keys changed: the same number of lines, and every line that had no computed key is untouched.
    const before = source.split('\n');
    const after = rewritten.split('\n');
    expect(after).toHaveLength(before.length);
    before.forEach((line, index) => {
      if (!/\[_\w+\]:/.test(line)) expect(after[index]).toBe(line);
    });
  });
});
