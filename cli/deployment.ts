/**
 * --stack / --stage: the deployed stack's settings as configuration variables. The stack is the base; the
 * environment's variables override it, and the flags override both (cli/options.ts configEnvironment).
 */
import { errorCode } from '../shared/aws/error-mapping';
import { readDeployedStack } from './aws/deployment';
import { ConfigurationError, UsageError } from './exit-codes';

/** serverless.yml's `service`: `sls deploy --stage prod` names the stack vpc-mirror-orchestrator-prod. */
export const SERVICE_NAME = 'vpc-mirror-orchestrator';

/** What the functions read that mirrorctl needs too (plus the outputs that name the table and the owner). */
export const CONFIGURATION_VARIABLE = /^(MIRROR_[A-Z_]+|LEDGER_TABLE_NAME|EVENT_BUS_NAME|HISTORY_TTL_DAYS)$/;

export interface StackChoice {
  readonly stack?: string;
  readonly stage?: string;
}

export function stackNameOf(choice: StackChoice): string | undefined {
  if (choice.stack !== undefined && choice.stage !== undefined) throw new UsageError('pass --stack or --stage, not both');
  if (choice.stage !== undefined) return `${SERVICE_NAME}-${choice.stage}`;
  return choice.stack;
}

/** The configuration variables the stack defines; throws ConfigurationError (exit 3) when it is not there. */
export async function stackEnvironment(stackName: string, region: string | undefined): Promise<Record<string, string>> {
  const where = region ?? "the profile's Region";
  const stack = await readDeployedStack(stackName).catch((error: unknown) => {
    // Lambda's answer when the function the stack names is gone (deleted by hand, or the stack is mid-update).
    if (errorCode(error) !== 'ResourceNotFoundException') throw error;
    throw new ConfigurationError(`the sweep function of stack "${stackName}" is not found in ${where}: is the stack deployed completely?`);
  });
  if (!stack.found) throw new ConfigurationError(`stack "${stackName}" not found in ${where}: check --stack / --stage and --region`);
  if (stack.functionName === undefined) {
    throw new ConfigurationError(`stack "${stackName}" in ${where} has no sweep function: is it a vpc-mirror-orchestrator stack?`);
  }
  const variables = Object.fromEntries(Object.entries(stack.functionVariables).filter(([name]) => CONFIGURATION_VARIABLE.test(name)));
  return {
    ...variables,
    ...(stack.outputs.LedgerTableName !== undefined && { LEDGER_TABLE_NAME: stack.outputs.LedgerTableName }),
    ...(stack.outputs.OwnerId !== undefined && { MIRROR_OWNER_ID: stack.outputs.OwnerId }),
  };
}
