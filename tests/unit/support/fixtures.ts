import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EVENT_FIXTURES } from '../../support/fixtures-path';

/** The real EventBridge events in AWS's shapes (tests/fixtures/events). */
export function loadEventFixture(name: string): Record<string, unknown> {
  const file = path.join(EVENT_FIXTURES, `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}
