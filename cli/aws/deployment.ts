/**
 * mirrorctl's own AWS adapter (the functions never make these calls, so their roles do not grant them).
 * A deployed stack as CloudFormation and Lambda describe it: the stack's outputs and the environment its sweep
 * function runs with. mirrorctl --stack learns the table, owner id, targets, filter, tag and bus from here, so it
 * agrees with the functions without anyone copying values by hand.
 */
import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { errorCode } from '../../shared/aws/error-mapping';

/** The sweep function's logical id in the packaged template (Serverless: `<Key>LambdaFunction`). */
const SWEEP_FUNCTION_LOGICAL_ID = 'SweepLambdaFunction';
const SWEEP_FUNCTION_OUTPUT = 'SweepFunctionName';

export type DeployedStack =
  | { readonly found: false }
  | {
      readonly found: true;
      readonly outputs: Readonly<Record<string, string>>;
      /** Undefined when the stack has no sweep function (not one of ours). */
      readonly functionName?: string;
      readonly functionVariables: Readonly<Record<string, string>>;
    };

export async function readDeployedStack(stackName: string): Promise<DeployedStack> {
  const cloudFormation = new CloudFormationClient({});
  const lambda = new LambdaClient({});
  try {
    const outputs = await describeOutputs(cloudFormation, stackName);
    if (outputs === undefined) return { found: false };
    const functionName = outputs[SWEEP_FUNCTION_OUTPUT] ?? (await findSweepFunction(cloudFormation, stackName));
    if (functionName === undefined) return { found: true, outputs, functionVariables: {} };
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return { found: true, outputs, functionName, functionVariables: { ...configuration.Environment?.Variables } };
  } finally {
    cloudFormation.destroy();
    lambda.destroy();
  }
}

async function describeOutputs(client: CloudFormationClient, stackName: string): Promise<Record<string, string> | undefined> {
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = answer.Stacks?.[0];
    if (stack === undefined) return undefined;
    return Object.fromEntries(
      (stack.Outputs ?? []).flatMap((output) =>
        output.OutputKey && output.OutputValue !== undefined ? [[output.OutputKey, output.OutputValue]] : [],
      ),
    );
  } catch (error) {
    // CloudFormation answers a stack that does not exist with a ValidationError ("Stack with id X does not exist").
    if (errorCode(error) === 'ValidationError' && /does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** For stacks deployed before the SweepFunctionName output existed. */
async function findSweepFunction(client: CloudFormationClient, stackName: string): Promise<string | undefined> {
  for await (const page of paginateListStackResources({ client }, { StackName: stackName })) {
    const sweep = page.StackResourceSummaries?.find((resource) => resource.LogicalResourceId === SWEEP_FUNCTION_LOGICAL_ID);
    if (sweep?.PhysicalResourceId) return sweep.PhysicalResourceId;
  }
  return undefined;
}
