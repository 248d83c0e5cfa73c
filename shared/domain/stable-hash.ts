/** 32-bit FNV-1a: a stable, evenly spread hash of a short string (no crypto needed: shard numbers, spreading). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * FNV-1a with MurmurHash3's finalizer: every input bit moves every output bit, so that strings differing only in
 * their last characters (an ENI id with each target id) still get unrelated weights.
 */
export function mixedHash(text: string): number {
  let hash = fnv1a(text);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
