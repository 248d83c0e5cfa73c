/** Traffic Mirroring quotas (docs/AWS-FACTS.md). None can be raised on AWS; tests may lower them to reach them fast. */
export interface Limits {
  readonly sessionsPerInterface: number;
  readonly sourcesPerInterfaceTarget: number;
  readonly sourcesPerFullHostInterfaceTarget: number;
  readonly sessionsPerAccount: number;
  readonly targetsPerAccount: number;
  readonly filtersPerAccount: number;
  readonly tagsPerResource: number;
}

export const AWS_LIMITS: Limits = {
  sessionsPerInterface: 3,
  sourcesPerInterfaceTarget: 10,
  sourcesPerFullHostInterfaceTarget: 100,
  sessionsPerAccount: 10_000,
  targetsPerAccount: 10_000,
  filtersPerAccount: 10_000,
  tagsPerResource: 50,
};

export const SESSION_NUMBER_RANGE = { min: 1, max: 32766 } as const;
export const VNI_RANGE = { min: 0, max: 16_777_215 } as const;
/** PacketLength bounds: any target accepts up to 65535 here; NLB targets only up to 8500. */
export const PACKET_LENGTH_MAX = 65535;
export const NLB_PACKET_LENGTH_MAX = 8500;
