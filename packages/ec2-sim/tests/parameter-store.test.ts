/**
 * SSM Parameter Store on the simulator's port, through the real SDK v3 (client-ssm, JSON 1.1 protocol): the hub's
 * organization document lives there. Parameters are kept per account (access key) and Region (SigV4 scope), and
 * every answer is checked against the SSM model of aws-sdk v2 (the conformance setup).
 */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { type Simulator, startSimulator } from '../src';
import { errorCodeOf } from './sim-harness';

const SECURITY = '111122223333';
const MEMBER = '444455556666';
const DOCUMENT_NAME = '/vpc-mirror/organization';

describe('ec2-sim SSM Parameter Store', () => {
  let sim: Simulator;
  const clients: SSMClient[] = [];

  beforeEach(async () => {
    sim = await startSimulator({ seed: 3, transitionDelayMs: 0, accountId: SECURITY, accessKeys: { AKIDMEMBER: MEMBER } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await sim.stop();
  });

  function ssm(accessKeyId = 'AKIDSECURITY', region = 'eu-west-1'): SSMClient {
    const client = new SSMClient({ endpoint: sim.url, region, credentials: { accessKeyId, secretAccessKey: 'secret' }, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  describe('PutParameter and GetParameter', () => {
    it('stores a String parameter and answers it with its version, type, ARN and modification date', async () => {
      const before = Date.now();

      const put = await ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: '{"accounts":[]}', Type: 'String' }));
      const got = await ssm().send(new GetParameterCommand({ Name: DOCUMENT_NAME }));

      expect(put).toMatchObject({ Version: 1, Tier: 'Standard' });
      expect(got.Parameter).toMatchObject({
        Name: DOCUMENT_NAME,
        Type: 'String',
        Value: '{"accounts":[]}',
        Version: 1,
        ARN: `arn:aws:ssm:eu-west-1:${SECURITY}:parameter/vpc-mirror/organization`,
        DataType: 'text',
      });
      expect(got.Parameter?.LastModifiedDate?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    });

    it('refuses to replace an existing parameter without Overwrite, and keeps its value', async () => {
      await ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'first', Type: 'String' }));

      const refusal = ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'second', Type: 'String' }));

      await expect(refusal).rejects.toBeInstanceOf(ParameterAlreadyExists);
      const got = await ssm().send(new GetParameterCommand({ Name: DOCUMENT_NAME }));
      expect(got.Parameter).toMatchObject({ Value: 'first', Version: 1 });
    });

    it('replaces the value with Overwrite as a new version, the earlier one still readable by selector', async () => {
      await ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'first', Type: 'String' }));

      const put = await ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'second', Overwrite: true }));

      expect(put.Version).toBe(2);
      const latest = await ssm().send(new GetParameterCommand({ Name: DOCUMENT_NAME }));
      const first = await ssm().send(new GetParameterCommand({ Name: `${DOCUMENT_NAME}:1` }));
      expect(latest.Parameter).toMatchObject({ Value: 'second', Version: 2, Type: 'String' });
      expect(first.Parameter).toMatchObject({ Value: 'first', Version: 1 });
      expect(await errorCodeOf(ssm().send(new GetParameterCommand({ Name: `${DOCUMENT_NAME}:7` })))).toBe('ParameterVersionNotFound');
    });

    it('answers ParameterNotFound (400) for a parameter that does not exist', async () => {
      const missing = ssm().send(new GetParameterCommand({ Name: '/vpc-mirror/nothing-here' }));

      await expect(missing).rejects.toBeInstanceOf(ParameterNotFound);
      await expect(missing).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    });

    it('hides a SecureString value unless asked WithDecryption', async () => {
      await ssm().send(new PutParameterCommand({ Name: '/vpc-mirror/secret', Value: 'hunter2', Type: 'SecureString' }));

      const sealed = await ssm().send(new GetParameterCommand({ Name: '/vpc-mirror/secret' }));
      const clear = await ssm().send(new GetParameterCommand({ Name: '/vpc-mirror/secret', WithDecryption: true }));

      expect(sealed.Parameter?.Value).not.toContain('hunter2');
      expect(clear.Parameter?.Value).toBe('hunter2');
    });

    it('deletes a parameter, and a second delete is ParameterNotFound', async () => {
      await ssm().send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'x', Type: 'String' }));

      await ssm().send(new DeleteParameterCommand({ Name: DOCUMENT_NAME }));

      expect(await errorCodeOf(ssm().send(new GetParameterCommand({ Name: DOCUMENT_NAME })))).toBe('ParameterNotFound');
      expect(await errorCodeOf(ssm().send(new DeleteParameterCommand({ Name: DOCUMENT_NAME })))).toBe('ParameterNotFound');
    });
  });

  describe('validation, as SSM refuses', () => {
    it.each([
      ['a new parameter without a Type', { Name: '/a/b', Value: 'v' }, 'ValidationException'],
      ['an unknown Type', { Name: '/a/b', Value: 'v', Type: 'Number' }, 'ValidationException'],
      ['an empty value', { Name: '/a/b', Value: '', Type: 'String' }, 'ValidationException'],
      ['a value over the Standard tier 4 KB', { Name: '/a/b', Value: 'v'.repeat(4097), Type: 'String' }, 'ValidationException'],
      ['a name reserved for AWS', { Name: '/aws/reference/x', Value: 'v', Type: 'String' }, 'ValidationException'],
      ['a path that is not fully qualified', { Name: 'a/b', Value: 'v', Type: 'String' }, 'ValidationException'],
      ['a name with spaces', { Name: '/a b', Value: 'v', Type: 'String' }, 'ValidationException'],
      [
        'more than 15 hierarchy levels',
        { Name: `/${'l/'.repeat(16)}x`, Value: 'v', Type: 'String' },
        'HierarchyLevelLimitExceededException',
      ],
    ])('refuses %s', async (_what, input, code) => {
      const refusal = ssm().send(new PutParameterCommand(input as never));

      expect(await errorCodeOf(refusal)).toBe(code);
      expect(await errorCodeOf(ssm().send(new GetParameterCommand({ Name: input.Name })))).toMatch(/ParameterNotFound|ValidationException/);
    });

    it('answers an operation it does not serve with UnknownOperationException, not a crash', async () => {
      const response = await fetch(sim.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonSSM.SendCommand', 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    });

    it('answers a body that is not JSON with SerializationException', async () => {
      const response = await fetch(sim.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' },
        body: '{not json',
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
    });
  });

  describe('GetParameters', () => {
    it('answers the parameters found and lists the missing names as InvalidParameters', async () => {
      await ssm().send(new PutParameterCommand({ Name: '/a', Value: '1', Type: 'String' }));
      await ssm().send(new PutParameterCommand({ Name: '/b', Value: '2', Type: 'StringList' }));

      const got = await ssm().send(new GetParametersCommand({ Names: ['/a', '/b', '/missing'] }));

      expect(got.Parameters?.map((p) => [p.Name, p.Value, p.Type])).toEqual([
        ['/a', '1', 'String'],
        ['/b', '2', 'StringList'],
      ]);
      expect(got.InvalidParameters).toEqual(['/missing']);
    });

    it('refuses more than 10 names', async () => {
      const names = Array.from({ length: 11 }, (_, i) => `/p${i}`);

      expect(await errorCodeOf(ssm().send(new GetParametersCommand({ Names: names })))).toBe('ValidationException');
    });
  });

  describe('per account and Region', () => {
    it("keeps each account's and each Region's parameters apart", async () => {
      await ssm('AKIDSECURITY', 'eu-west-1').send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'security', Type: 'String' }));

      const memberLookup = ssm('AKIDMEMBER', 'eu-west-1').send(new GetParameterCommand({ Name: DOCUMENT_NAME }));
      const otherRegionLookup = ssm('AKIDSECURITY', 'us-east-1').send(new GetParameterCommand({ Name: DOCUMENT_NAME }));

      expect(await errorCodeOf(memberLookup)).toBe('ParameterNotFound');
      expect(await errorCodeOf(otherRegionLookup)).toBe('ParameterNotFound');
      await ssm('AKIDMEMBER', 'eu-west-1').send(new PutParameterCommand({ Name: DOCUMENT_NAME, Value: 'member', Type: 'String' }));
      const security = await ssm('AKIDSECURITY').send(new GetParameterCommand({ Name: DOCUMENT_NAME }));
      expect(security.Parameter?.Value).toBe('security');
    });
  });
});
