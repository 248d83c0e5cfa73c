/** Runs the installed entry point, bin/mirrorctl.cjs, as a real process and answers what a shell would see. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestCloud } from '../support/test-cloud';

export const BIN = join(__dirname, '..', '..', 'bin', 'mirrorctl.cjs');
const REGION = 'eu-west-1';

export interface BinResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The process environment without any AWS or mirror configuration: what a fresh shell has. */
export function cleanEnvironment(): Record<string, string> {
  const kept = Object.entries(process.env).filter(
    ([name, value]) => value !== undefined && !/^(AWS_|MIRROR_|LEDGER_TABLE_NAME$|EVENT_BUS_NAME$|HISTORY_TTL_DAYS$)/.test(name),
  );
  return {
    ...(Object.fromEntries(kept) as Record<string, string>),
    NO_COLOR: '1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** A shell pointed at the test cloud with test credentials, and no mirror configuration yet. */
export function cloudEnvironment(cloud: TestCloud, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...cleanEnvironment(),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EC2: cloud.sim.url,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.table.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.bus.endpoint,
    ...extra,
  };
}

export function mirrorctl(args: readonly string[], env: Record<string, string>): Promise<BinResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
