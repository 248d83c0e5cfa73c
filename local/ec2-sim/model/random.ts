import type { Random } from '../../random';

export { seededRandom, type Random } from '../../random';

export function randomHex(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}
