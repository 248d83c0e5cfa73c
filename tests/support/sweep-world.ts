/**
 * The sweep tests' world: a fresh test cloud and seeder for each test, the functions' wiring against it, and the
 * sweep at a pace that does not hold tests back (EC2 throttling is off in the test cloud unless a test turns it on).
 */
import { DEFAULT_SWEEP_SETTINGS, type SweepSettings } from '../../shared/config/sweep-settings';
import type { ConvergeSummary } from '../../shared/converge';
import { sweep } from '../../shared/converge/sweep';
import { endpointsOf, type Wiring, type WiringOptions, wire } from './deps';
import { Ec2Seeder, startTestCloud, type TestCloud } from './test-cloud';

/** The stack's sweep settings, allowed 50 mutations a second instead of 2. */
export const TEST_SWEEP_SETTINGS: SweepSettings = { ...DEFAULT_SWEEP_SETTINGS, mutationsPerSecond: 50, mutationBurst: 50 };

export interface SweepWorld {
  readonly cloud: TestCloud;
  readonly seed: Ec2Seeder;
  /** Wires the functions' dependencies with these settings; destroyed after the test. */
  wire(options: WiringOptions): Wiring;
  /** One sweep run through the wiring, as the scheduled function runs it. */
  sweep(eventId: string, settings?: SweepSettings): Promise<ConvergeSummary>;
}

/** Call at the top of a test file: registers the world's beforeEach and afterEach. */
export function useSweepWorld(): SweepWorld {
  let cloud: TestCloud | undefined;
  let seed: Ec2Seeder | undefined;
  let wiring: Wiring | undefined;

  beforeEach(async () => {
    cloud = await startTestCloud();
    seed = new Ec2Seeder(cloud);
  });

  afterEach(async () => {
    wiring?.destroy();
    wiring = undefined;
    await cloud?.stop();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the sweep world is only there inside a test');
    return value;
  };
  return {
    get cloud() {
      return started(cloud);
    },
    get seed() {
      return started(seed);
    },
    wire(options) {
      wiring = wire(endpointsOf(started(cloud)), options);
      return wiring;
    },
    sweep(eventId, settings = TEST_SWEEP_SETTINGS) {
      const wired = started(wiring);
      return sweep({ eventId }, wired.deps, { ledger: wired.sweepLedger, settings });
    },
  };
}
