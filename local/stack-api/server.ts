/**
 * A loopback stand-in for the two control-plane calls mirrorctl --stack makes, in AWS's wire shapes: CloudFormation
 * (Query protocol, XML: DescribeStacks, ListStackResources) and Lambda (REST-JSON: GetFunctionConfiguration). It
 * serves deployed stacks made from packaged templates, so the outputs it answers are the ones the stack declares.
 * Point the real SDK at it with AWS_ENDPOINT_URL_CLOUDFORMATION and AWS_ENDPOINT_URL_LAMBDA (one URL serves both).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeployedStack, type DeployedTemplate } from './template';

export interface StackApi {
  readonly url: string;
  /** Requests answered, by action (DescribeStacks, ListStackResources, GetFunctionConfiguration). */
  readonly calls: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

const CFN_NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const LAMBDA_CONFIGURATION = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const element = (name: string, value: string | undefined): string => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function cfnAnswer(response: ServerResponse, action: string, result: string): void {
  response.writeHead(200, { 'content-type': 'text/xml' });
  response.end(
    `<${action}Response xmlns="${CFN_NAMESPACE}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

function cfnError(response: ServerResponse, code: string, message: string): void {
  response.writeHead(400, { 'content-type': 'text/xml' });
  response.end(
    `<ErrorResponse xmlns="${CFN_NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function describeStack(stack: DeployedStack): string {
  const outputs = stack
    .outputs()
    .map(
      (output) =>
        `<member>${element('OutputKey', output.key)}${element('OutputValue', output.value)}${element('Description', output.description)}</member>`,
    )
    .join('');
  return (
    `<member>${element('StackName', stack.name)}${element('StackId', stack.stackId)}` +
    `<CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>` +
    `<Outputs>${outputs}</Outputs></member>`
  );
}

function listResources(stack: DeployedStack): string {
  const members = stack
    .resources()
    .map(
      (resource) =>
        `<member>${element('LogicalResourceId', resource.logicalId)}${element('PhysicalResourceId', resource.physicalId)}` +
        `${element('ResourceType', resource.type)}<LastUpdatedTimestamp>2026-01-01T00:00:00.000Z</LastUpdatedTimestamp>` +
        '<ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>',
    )
    .join('');
  return `<StackResourceSummaries>${members}</StackResourceSummaries>`;
}

export async function startStackApi(deployments: readonly DeployedTemplate[]): Promise<StackApi> {
  const stacks = deployments.map((deployment) => new DeployedStack(deployment));
  const calls: Record<string, number> = {};
  const count = (action: string) => (calls[action] = (calls[action] ?? 0) + 1);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const lambdaPath = LAMBDA_CONFIGURATION.exec(path);
    if (request.method === 'GET' && lambdaPath) {
      count('GetFunctionConfiguration');
      const name = decodeURIComponent(lambdaPath[1] ?? '');
      const found = stacks.map((stack) => stack.functionNamed(name)).find((fn) => fn !== undefined);
      if (found === undefined) {
        response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        response.end(JSON.stringify({ Type: 'User', Message: `Function not found: ${name}` }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          FunctionName: found.name,
          FunctionArn: found.arn,
          Runtime: found.runtime,
          Handler: found.handler,
          Environment: { Variables: found.variables },
          State: 'Active',
        }),
      );
      return;
    }
    const form = new URLSearchParams(await readBody(request));
    const action = form.get('Action') ?? '';
    count(action);
    if (action !== 'DescribeStacks' && action !== 'ListStackResources') {
      cfnError(response, 'InvalidAction', `The action ${action} is not valid for this endpoint.`);
      return;
    }
    const stackName = form.get('StackName') ?? '';
    const stack = stacks.find((candidate) => candidate.name === stackName || candidate.stackId === stackName);
    if (stack === undefined) {
      cfnError(response, 'ValidationError', `Stack with id ${stackName} does not exist`);
      return;
    }
    cfnAnswer(response, action, action === 'DescribeStacks' ? `<Stacks>${describeStack(stack)}</Stacks>` : listResources(stack));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
