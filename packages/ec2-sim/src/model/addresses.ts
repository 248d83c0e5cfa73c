/**
 * A subnet's private IPv4 addresses. AWS reserves five in every subnet: the network address, .1 (router), .2 (DNS),
 * .3 (future use) and the broadcast address (VPC User Guide, "Subnet CIDR blocks"), so a /20 offers 4091. An
 * address comes back when its ENI is deleted; a full subnet hands out nothing.
 */
const RESERVED_AT_START = 4;
const RESERVED_AT_END = 1;

export class SubnetAddresses {
  private readonly base: number;
  private readonly size: number;
  private nextHost = RESERVED_AT_START;
  /** Offsets given back by deleted ENIs, reused lowest first. */
  private readonly released: number[] = [];
  private inUse = 0;

  constructor(cidrBlock: string) {
    const [address = '', prefix = ''] = cidrBlock.split('/');
    const octets = address.split('.').map(Number);
    const bits = Number(prefix);
    if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255)) || !(bits >= 16 && bits <= 28)) {
      throw new RangeError(`not an IPv4 subnet CIDR block AWS accepts (/16../28): ${cidrBlock}`);
    }
    this.base = octets.reduce((sum, octet) => sum * 256 + octet, 0);
    this.size = 2 ** (32 - bits);
  }

  /** How many addresses are still free (DescribeSubnets' AvailableIpAddressCount). */
  get available(): number {
    return this.size - RESERVED_AT_START - RESERVED_AT_END - this.inUse;
  }

  /** The next free address, or undefined when the subnet is full. */
  take(): string | undefined {
    let host: number | undefined;
    if (this.released.length > 0) {
      this.released.sort((a, b) => a - b);
      host = this.released.shift();
    } else if (this.nextHost < this.size - RESERVED_AT_END) {
      host = this.nextHost++;
    }
    if (host === undefined) return undefined;
    this.inUse++;
    return toDotted(this.base + host);
  }

  release(ip: string): void {
    const host =
      ip
        .split('.')
        .map(Number)
        .reduce((sum, octet) => sum * 256 + octet, 0) - this.base;
    if (host < RESERVED_AT_START || host >= this.nextHost || this.released.includes(host)) return;
    this.released.push(host);
    this.inUse--;
  }
}

function toDotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
