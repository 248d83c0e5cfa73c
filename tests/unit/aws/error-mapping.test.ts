/**
 * SDK errors -> domain errors, at the one edge where they are mapped. aws-sdk-client-mock stands in for EC2 here
 * only (the narrow case the team guide allows); everything else runs against the simulator.
 */

import {
  type _InstanceType,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { createEc2Adapter } from '../../../shared/aws/ec2';
import { toCreateSessionError, toDomainError } from '../../../shared/aws/error-mapping';
import { Ec2RefusalError, PermanentError, RetryableError } from '../../../shared/domain/errors';

function ec2Error(code: string, status = 400): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${code} happened`,
  });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code, $metadata: { attempts: 3 } });
}

describe('toDomainError', () => {
  it.each([
    ['NetworkInterfaceNotSupported', 'interface', 'network-interface-not-supported'],
    ['TrafficMirrorSessionsPerInterfaceLimitExceeded', 'interface', 'interface-session-limit'],
    ['InterfaceInUseByTrafficMirrorTarget', 'interface', 'interface-is-mirror-target'],
    ['InvalidNetworkInterfaceID.NotFound', 'interface', 'interface-detached'],
    ['IdempotentParameterMismatch', 'token-reused', 'settings-changed'],
    ['InvalidTrafficMirrorFilterId.NotFound', 'interface', 'filter-not-allowed'],
    ['TrafficMirrorSourcesPerTargetLimitExceeded', 'target-full', 'target-pool-full'],
    ['TrafficMirrorSessionsPerTargetLimitExceeded', 'target-full', 'target-pool-full'],
    ['InvalidTrafficMirrorTargetId.NotFound', 'target', 'target-pool-full'],
    ['InterfaceInUseByTrafficMirrorSession', 'target', 'target-pool-full'],
    ['TrafficMirrorSessionLimitExceeded', 'account', 'account-session-limit'],
  ])('makes %s a permanent refusal scoped to the %s, reason %s', (code, scope, reason) => {
    const mapped = toDomainError(ec2Error(code), 'CreateTrafficMirrorSession');

    expect(mapped).toBeInstanceOf(Ec2RefusalError);
    expect(mapped).toBeInstanceOf(PermanentError);
    expect(mapped).toMatchObject({ code, scope, reason });
    expect(mapped.message).toContain(code);
  });

  it.each([
    ['RequestLimitExceeded', ec2Error('RequestLimitExceeded', 503)],
    ['a 500 InternalError', ec2Error('InternalError', 500)],
    ['a 503 without a known code', ec2Error('Whatever', 503)],
    ['DynamoDB throttling', ec2Error('ProvisionedThroughputExceededException', 400)],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a reset connection', networkError('ECONNRESET')],
  ])('makes %s retryable', (_, error) => {
    expect(toDomainError(error, 'DescribeInstances')).toBeInstanceOf(RetryableError);
  });

  it.each([
    ['InvalidInstanceID.Malformed', ec2Error('InvalidInstanceID.Malformed')],
    ['UnauthorizedOperation', ec2Error('UnauthorizedOperation', 403)],
    ['a programming error', new TypeError('x is undefined')],
  ])('makes %s permanent but not a refusal', (_, error) => {
    const mapped = toDomainError(error, 'op');

    expect(mapped).toBeInstanceOf(PermanentError);
    expect(mapped).not.toBeInstanceOf(Ec2RefusalError);
  });

  it.each([
    ['InvalidParameterValue', 'invalid-parameter'],
    ['InvalidParameterCombination', 'invalid-parameter'],
    ['UnauthorizedOperation', 'not-authorized'],
    ['SomethingEc2InventsLater', 'ec2-refused'],
  ])('makes %s at create time a refusal of the interface, reason %s', (code, reason) => {
    const mapped = toCreateSessionError(ec2Error(code), 'CreateTrafficMirrorSession');

    expect(mapped).toBeInstanceOf(Ec2RefusalError);
    expect(mapped).toMatchObject({ code, scope: 'interface', reason });
  });

  it('keeps transient failures and our own errors at create time out of refusals', () => {
    expect(toCreateSessionError(ec2Error('InternalError', 500), 'op')).toBeInstanceOf(RetryableError);
    expect(toCreateSessionError(new TypeError('x is undefined'), 'op')).not.toBeInstanceOf(Ec2RefusalError);
  });

  it('passes domain errors through unchanged', () => {
    const retryable = new RetryableError('already mapped');

    expect(toDomainError(retryable, 'op')).toBe(retryable);
  });
});

describe('the EC2 adapter at the edge', () => {
  const mock = mockClient(EC2Client);
  const adapter = () => createEc2Adapter({ client: new EC2Client({ region: 'eu-west-1' }), ownerId: 'owner-1' });
  const request = {
    instanceId: 'i-0123456789abcdef0',
    eniId: 'eni-0123456789abcdef0',
    targetId: 'tmt-0123456789abcdef0',
    filterId: 'tmf-0123456789abcdef0',
    sessionNumber: 1,
    reservationId: 'r-1',
  };

  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  it('turns NetworkInterfaceNotSupported at create time into a refusal', async () => {
    mock.on(CreateTrafficMirrorSessionCommand).rejects(ec2Error('NetworkInterfaceNotSupported'));

    await expect(adapter().createSession(request)).rejects.toMatchObject({
      name: 'Ec2RefusalError',
      reason: 'network-interface-not-supported',
      scope: 'interface',
    });
  });

  it('sends the reservation id as ClientToken and the three ownership tags', async () => {
    mock.on(CreateTrafficMirrorSessionCommand).resolves({ TrafficMirrorSession: { TrafficMirrorSessionId: 'tms-0123456789abcdef0' } });

    await expect(adapter().createSession(request)).resolves.toEqual({ sessionId: 'tms-0123456789abcdef0' });

    const input = mock.commandCalls(CreateTrafficMirrorSessionCommand)[0]?.args[0].input;
    expect(input?.ClientToken).toBe('r-1');
    expect(input?.TagSpecifications?.[0]?.Tags).toEqual([
      { Key: 'vpc-mirror-orchestrator:owner', Value: 'owner-1' },
      { Key: 'vpc-mirror-orchestrator:instance-id', Value: 'i-0123456789abcdef0' },
      { Key: 'vpc-mirror-orchestrator:reservation', Value: 'r-1' },
    ]);
  });

  it('counts deleting a session EC2 no longer knows as done', async () => {
    mock.on(DeleteTrafficMirrorSessionCommand).rejects(ec2Error('InvalidTrafficMirrorSessionId.NotFound'));

    await expect(adapter().deleteSession('tms-0123456789abcdef0')).resolves.toBe('already-gone');
  });

  it('makes a throttled delete retryable', async () => {
    mock.on(DeleteTrafficMirrorSessionCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    await expect(adapter().deleteSession('tms-0123456789abcdef0')).rejects.toBeInstanceOf(RetryableError);
  });

  it('describes types one by one when one type is unknown, leaving the unknown one to the static tables', async () => {
    mock
      .on(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large', 'zz9.huge'] as string[] as _InstanceType[] })
      .rejects(ec2Error('InvalidInstanceType'))
      .on(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large'] })
      .resolves({ InstanceTypes: [{ InstanceType: 'm5.large', Hypervisor: 'nitro', BareMetal: false }] })
      .on(DescribeInstanceTypesCommand, { InstanceTypes: ['zz9.huge'] as string[] as _InstanceType[] })
      .rejects(ec2Error('InvalidInstanceType'));

    const types = await adapter().describeInstanceTypes(['m5.large', 'zz9.huge']);

    expect([...types.entries()]).toEqual([['m5.large', { instanceType: 'm5.large', hypervisor: 'nitro', bareMetal: false }]]);
  });
});
