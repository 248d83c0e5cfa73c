/**
 * One client per AWS service per container: created on first use and reused by every invocation, so connections
 * and credentials are kept warm. Endpoints are never set here: local runs and tests point the SDK at loopback
 * servers through its own AWS_ENDPOINT_URL_<SERVICE> variables, so the production path is the tested path.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Ec2RetryStrategy } from './ec2-retry';
import { lineUpMutatingCalls } from './mutating-calls-line';

/**
 * Attempts for EC2 errors other than throttling; a throttled call is retried on short pauses instead, for as long
 * as a function can wait (ec2-retry.ts says why).
 */
export const EC2_MAX_ATTEMPTS = 8;

/**
 * How long one request of the product's clients may take before the SDK gives it up and retries it (TimeoutError is a
 * transient error to its retry strategy; a create replays its ClientToken). The SDK sets no bound of its own, so a
 * request whose answer never comes held its invocation until the function's timeout, and held the container's line
 * of throttled creates with it. EC2 answers a create or a page of 1,000 instances in well under this. Without
 * throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and goes on waiting.
 */
export const REQUEST_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true } as const;

/**
 * An EC2 client as the product uses it (the container's, an organization's spoke clients): its own retry strategy
 * (it keeps the client's retry quota), its own lines for throttled mutating calls (mutating-calls-line.ts), and a
 * bound on each request (REQUEST_TIMEOUTS, unless `config` sets its own handler).
 */
export function newEc2Client(config: EC2ClientConfig = {}): EC2Client {
  const client = new EC2Client({
    requestHandler: REQUEST_TIMEOUTS,
    ...config,
    retryStrategy: new Ec2RetryStrategy({ maxAttempts: EC2_MAX_ATTEMPTS }),
  });
  lineUpMutatingCalls(client);
  return client;
}
const DEFAULT_MAX_ATTEMPTS = 5;
const ORGANIZATIONS_CONNECTION_TIMEOUT_MS = 3_000;
const ORGANIZATIONS_REQUEST_TIMEOUT_MS = 5_000;
/** What every client but EC2's shares: the standard retry strategy, and the request bounds. */
const STANDARD_CLIENT = { retryMode: 'standard', maxAttempts: DEFAULT_MAX_ATTEMPTS, requestHandler: REQUEST_TIMEOUTS } as const;

/** The clients the adapters need; shared/wiring takes these from a caller (the CLI, tests) instead of the container's. */
export interface AwsClients {
  readonly ec2: EC2Client;
  readonly documents: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
}

/** The organization's hub also reads its document (SSM), assumes spoke roles (STS) and resolves OUs (Organizations). */
export interface OrganizationClients extends Pick<AwsClients, 'documents' | 'eventBridge'> {
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  /** Default: the container's (used only when the document lists OUs). */
  readonly organizations?: OrganizationsClient;
}

let ec2Client: EC2Client | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let eventBridgeClient: EventBridgeClient | undefined;
let stsClient: STSClient | undefined;
let ssmClient: SSMClient | undefined;
let sqsClient: SQSClient | undefined;
let organizationsClient: OrganizationsClient | undefined;

export function ec2(): EC2Client {
  ec2Client ??= newEc2Client();
  return ec2Client;
}

export function dynamoDocuments(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient(STANDARD_CLIENT), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function eventBridge(): EventBridgeClient {
  eventBridgeClient ??= new EventBridgeClient(STANDARD_CLIENT);
  return eventBridgeClient;
}

/** Organization only: the hub assumes each spoke's role (shared/aws/spoke-clients.ts). */
export function sts(): STSClient {
  stsClient ??= new STSClient(STANDARD_CLIENT);
  return stsClient;
}

/** Organization only: the document in Parameter Store (shared/aws/organization-document.ts). */
export function ssm(): SSMClient {
  ssmClient ??= new SSMClient(STANDARD_CLIENT);
  return ssmClient;
}

/**
 * Organization only: the hub puts deferred records back on their queue (shared/aws/record-deferral.ts). The endpoint
 * is the Region's (or AWS_ENDPOINT_URL_SQS), never the QueueUrl's host: the URL is built from the record's queue ARN.
 */
export function sqs(): SQSClient {
  sqsClient ??= new SQSClient({ ...STANDARD_CLIENT, useQueueUrlAsEndpoint: false });
  return sqsClient;
}

/**
 * Organization only, when the document lists OUs (shared/aws/organization-tree.ts). Organizations is a global
 * service: from any Region the SDK's endpoint rules call the partition's one endpoint (organizations.us-east-1 for
 * the commercial partition, signed for us-east-1; us-gov-west-1 and cn-northwest-1 for the others).
 */
export function organizations(): OrganizationsClient {
  // Bounded: the invocation that resolves the OUs waits for them, and a hung call must fail (and keep the last
  // resolved accounts) rather than hold every batch until the function's timeout.
  organizationsClient ??= new OrganizationsClient({
    ...STANDARD_CLIENT,
    requestHandler: {
      connectionTimeout: ORGANIZATIONS_CONNECTION_TIMEOUT_MS,
      requestTimeout: ORGANIZATIONS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  return organizationsClient;
}
