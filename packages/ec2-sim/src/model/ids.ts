/** Resource id formats (EC2's long ids: prefix + 17 hex) and their generation from a seedable source. */
import { type Random, randomHex } from './random';

export const ID_PREFIX = {
  instance: 'i',
  networkInterface: 'eni',
  attachment: 'eni-attach',
  reservation: 'r',
  trafficMirrorTarget: 'tmt',
  trafficMirrorFilter: 'tmf',
  trafficMirrorSession: 'tms',
  subnet: 'subnet',
  vpc: 'vpc',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

/** EC2 accepts the old 8-hex ids as well as the 17-hex ones. */
export function isWellFormed(kind: IdKind, id: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}

export class IdGenerator {
  private readonly issued = new Set<string>();

  constructor(private readonly random: Random) {}

  next(kind: IdKind): string {
    for (;;) {
      const id = `${ID_PREFIX[kind]}-${randomHex(this.random, 17)}`;
      if (!this.issued.has(id)) {
        this.issued.add(id);
        return id;
      }
    }
  }

  /** A VXLAN id in 1..16777215 that no session of the account uses yet (AWS picks one when none is given). */
  vni(inUse: (vni: number) => boolean): number {
    for (;;) {
      const vni = 1 + Math.floor(this.random() * 16777214);
      if (!inUse(vni)) return vni;
    }
  }

  mac(): string {
    const bytes = Array.from({ length: 5 }, () => randomHex(this.random, 2));
    return ['06', ...bytes].join(':');
  }
}
