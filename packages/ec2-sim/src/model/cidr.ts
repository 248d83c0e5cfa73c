/** IPv4 CIDR blocks as number ranges: what CreateSubnet checks (inside the VPC, aligned, no overlap). */

export interface Ipv4Block {
  /** First address, as an unsigned 32-bit number. */
  readonly first: number;
  /** Number of addresses (2 ** (32 - prefix)). */
  readonly size: number;
  readonly prefix: number;
}

/** The block a `a.b.c.d/n` string names, or undefined when it is not one (bad octets, bad prefix, host bits set). */
export function parseIpv4Block(cidrBlock: string): Ipv4Block | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidrBlock);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const first = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  if (first % size !== 0) return undefined;
  return { first, size, prefix };
}

export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return inner.first >= outer.first && inner.first + inner.size <= outer.first + outer.size;
}

export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.first < b.first + b.size && b.first < a.first + a.size;
}
