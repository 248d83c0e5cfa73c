import { request } from 'node:http';
import { DescribeInstancesCommand, type EC2ServiceException } from '@aws-sdk/client-ec2';
import { type Harness, startHarness } from './sim-harness';

interface RawAnswer {
  readonly status: number;
  readonly body: string;
  readonly requestId: string | undefined;
}

describe('the EC2 Query protocol', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const post = (body: string | Buffer, method = 'POST', path = '/'): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const req = request(`${h.sim.url}${path}`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            requestId: res.headers['x-amzn-requestid'] as string | undefined,
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });

  it('answers with the action response root, the namespace, a requestId and the x-amzn-requestid header', async () => {
    const answer = await post('Action=DescribeSubnets&Version=2016-11-15');

    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">');
    expect(answer.body).toContain(`<requestId>${answer.requestId}</requestId>`);
    expect(answer.body).toMatch(/<subnetSet><item><subnetId>subnet-/);
  });

  it('answers an unknown action with InvalidAction in the EC2 error document', async () => {
    const answer = await post('Action=LaunchRockets&Version=2016-11-15');

    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(
      /<Response><Errors><Error><Code>InvalidAction<\/Code><Message>.+<\/Message><\/Error><\/Errors><RequestID>.+<\/RequestID><\/Response>/,
    );
  });

  it.each([
    ['no Action', 'MissingParameter', 'Version=2016-11-15'],
    ['no Version', 'MissingParameter', 'Action=DescribeInstances'],
    ['a missing required parameter', 'MissingParameter', 'Action=DeleteTrafficMirrorSession&Version=2016-11-15'],
    ['a non-numeric number', 'InvalidParameterValue', 'Action=DescribeInstances&Version=2016-11-15&MaxResults=lots'],
    ['an unknown filter', 'InvalidParameterValue', 'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=colour&Filter.1.Value.1=red'],
    ['a foreign NextToken', 'InvalidPaginationToken', 'Action=DescribeInstances&Version=2016-11-15&NextToken=bm9wZQ'],
    ['DryRun', 'DryRunOperation', 'Action=DescribeInstances&Version=2016-11-15&DryRun=true'],
  ])('answers %s with %s', async (_what, code, body) => {
    const answer = await post(body);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body).toContain(`<Code>${code}</Code>`);
  });

  it('survives garbage bodies and answers each with an error document', async () => {
    const garbage = ['%%%', '\u0000\u0001\u0002', '&&&=&=', 'Action', 'Action=%E0%A4%A', Buffer.from([0xff, 0xfe, 0x00, 0x41])];
    for (const body of garbage) {
      const answer = await post(body);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.body).toContain('<Errors><Error><Code>');
    }
    await expect(h.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
  });

  it('refuses a body over the size cap without buffering it', async () => {
    const answer = await post(Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('<Code>RequestEntityTooLarge</Code>');
  });

  it('escapes XML in values it echoes', async () => {
    const answer = await post(
      `Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=${encodeURIComponent('a<b>&"c\'</description>')}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('a<b>');
    expect(answer.body).toContain('a&lt;b&gt;&amp;');
  });

  it('gives the SDK the error code, message, HTTP status and request id', async () => {
    const error = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })).then(
      () => undefined,
      (e: unknown) => e as EC2ServiceException,
    );

    expect(error?.name).toBe('InvalidInstanceID.NotFound');
    expect(error?.message).toContain('i-0123456789abcdef0');
    expect(error?.$metadata.httpStatusCode).toBe(400);
    expect(error?.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error?.$fault).toBe('client');
  });
});
