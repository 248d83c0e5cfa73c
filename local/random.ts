/** The seedable PRNG the simulator uses (mulberry32), so that one seed drives ids, fleets, faults and chaos alike. */
export { type Random, seededRandom } from '@vpc-mirror-orchestrator/ec2-sim';
