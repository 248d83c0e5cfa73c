/**
 * esbuild plugins for serverless-esbuild (custom.esbuild.plugins).
 *
 * The AWS SDK's generated schema modules (dist-es/schemas/schemas_0.js) declare every shape of the service as a
 * top-level array, and member traits as objects with computed keys: `{ [_xN]: _SGI }`, where `_xN` is a module
 * constant (`const _xN = "xmlName"`). esbuild must assume a computed key may run code (a key's toString), so it keeps
 * every shape with a trait, used or not: 2,000+ EC2 shapes (~450 kB) that no command of ours reaches. Writing the
 * constant's string in place of the identifier (`{ "xmlName": _SGI }`) is the same object, and lets tree shaking drop
 * the unused shapes. Nothing else in the file changes.
 */
const { readFile } = require('node:fs/promises');

const SCHEMA_MODULE = /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const STRING_CONSTANT = /^const (_\w+) = ("[^"\\\n]*");$/gm;
const COMPUTED_KEY = /\[(_\w+)\]:/g;

function inlineSchemaTraitKeys(source) {
  const constants = new Map();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name, literal);
  return source.replace(COMPUTED_KEY, (whole, name) => (constants.has(name) ? `${constants.get(name)}:` : whole));
}

const sdkSchemaTraitKeys = {
  name: 'sdk-schema-trait-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({
      contents: inlineSchemaTraitKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

module.exports = [sdkSchemaTraitKeys];
module.exports.inlineSchemaTraitKeys = inlineSchemaTraitKeys;
