import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The real EventBridge events shared by the whole team (/work/shared/fixtures/events). */
export function loadEventFixture(name: string): Record<string, unknown> {
  const file = path.resolve(__dirname, '../../../../shared/fixtures/events', `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}
