import { CreateTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import {
  createResponseValidation,
  loadServiceModel,
  takeRecordedResponseViolations,
  validateErrorResponse,
  validateResponse,
  validateSsmResponse,
} from '../src/conformance';
import { type Harness, launch, mirrorFilter, nlbTarget, startHarness } from './sim-harness';

/** The raw XML the simulator answers a Query request with, as any client receives it. */
async function rawAnswer(h: Harness, params: Record<string, string>): Promise<string> {
  const response = await fetch(h.sim.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
  });
  return response.text();
}

describe("response validation against AWS's EC2 model", () => {
  const model = loadServiceModel();
  let h: Harness;
  let sessionsXml: string;
  let instancesXml: string;
  const describeSessions = { Action: 'DescribeTrafficMirrorSessions' };

  beforeAll(async () => {
    h = await startHarness({ validateResponses: true });
    const eni = (await launch(h, 'c5.large')).eniIds[0] as string;
    await h.ec2.send(
      new CreateTrafficMirrorSessionCommand({
        NetworkInterfaceId: eni,
        TrafficMirrorTargetId: await nlbTarget(h),
        TrafficMirrorFilterId: await mirrorFilter(h),
        SessionNumber: 1,
        TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'owner', Value: 'me' }] }],
      }),
    );
    sessionsXml = await rawAnswer(h, describeSessions);
    instancesXml = await rawAnswer(h, { Action: 'DescribeInstances' });
  });
  afterAll(() => h.close());

  it("accepts the simulator's own answers, and the simulator recorded none it should not have sent", () => {
    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, sessionsXml)).toEqual([]);
    expect(validateResponse(model, 'DescribeInstances', {}, instancesXml)).toEqual([]);
    expect(h.sim.responseViolations()).toEqual([]);
  });

  it('refuses a member name the model does not have', () => {
    const renamed = sessionsXml.replace(/<packetLength>/g, '<packetSize>').replace(/<\/packetLength>/g, '</packetSize>');

    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, renamed)).toEqual([
      expect.stringContaining('trafficMirrorSessionSet/item/packetSize: no such member in the model'),
    ]);
  });

  it('refuses a value of the wrong type', () => {
    const wrongType = sessionsXml.replace(/<sessionNumber>1<\/sessionNumber>/, '<sessionNumber>one</sessionNumber>');

    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, wrongType)).toEqual([
      expect.stringContaining("trafficMirrorSessionSet/item/sessionNumber: 'one' is not an integer"),
    ]);
  });

  it('refuses a value outside the enum', () => {
    const wrongEnum = instancesXml.replace(/<name>running<\/name>/, '<name>booting</name>');

    expect(validateResponse(model, 'DescribeInstances', {}, wrongEnum)).toEqual([
      expect.stringContaining("instanceState/name: 'booting' is not one of pending|running|shutting-down|terminated|stopping|stopped"),
    ]);
  });

  it('refuses a list without its <item> wrapper, and an instance type AWS does not make', () => {
    const unwrapped = sessionsXml.replace(/<tagSet><item>(.*?)<\/item><\/tagSet>/, '<tagSet>$1</tagSet>');
    const madeUp = instancesXml.replace(/<instanceType>c5\.large<\/instanceType>/, '<instanceType>c5.huge</instanceType>');

    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, unwrapped)).toEqual([
      expect.stringContaining('tagSet/key: a list holds <item> elements'),
      expect.stringContaining('tagSet/value: a list holds <item> elements'),
    ]);
    expect(validateResponse(model, 'DescribeInstances', {}, madeUp)).toEqual([expect.stringContaining("'c5.huge' is not one of")]);
  });

  it("checks a paginated operation's result list and NextToken", () => {
    const withoutList = sessionsXml.replace(/<trafficMirrorSessionSet>[\s\S]*<\/trafficMirrorSessionSet>/, '');
    const emptyToken = sessionsXml.replace('</trafficMirrorSessionSet>', '</trafficMirrorSessionSet><nextToken></nextToken>');
    const sameToken = sessionsXml.replace('</trafficMirrorSessionSet>', '</trafficMirrorSessionSet><nextToken>abc</nextToken>');

    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, withoutList)).toEqual([
      expect.stringContaining('the paginated result list is missing'),
    ]);
    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, emptyToken)).toEqual([
      expect.stringContaining('an empty NextToken'),
    ]);
    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', { ...describeSessions, NextToken: 'abc' }, sameToken)).toEqual([
      expect.stringContaining('a client would loop'),
    ]);
  });

  it('refuses a root element that is not <Action>Response', () => {
    const wrongRoot = sessionsXml.replace(/DescribeTrafficMirrorSessionsResponse/g, 'DescribeTrafficMirrorSessionResponse');

    expect(validateResponse(model, 'DescribeTrafficMirrorSessions', describeSessions, wrongRoot)).toEqual([
      expect.stringContaining('root element is DescribeTrafficMirrorSessionResponse'),
    ]);
  });

  it('records what a simulator sent wrong where the suite-wide afterAll (testing/conformance-setup.ts) finds it', () => {
    const validation = createResponseValidation();
    const wrongType = sessionsXml.replace(/<sessionNumber>1<\/sessionNumber>/, '<sessionNumber>one</sessionNumber>');

    validation.check('DescribeTrafficMirrorSessions', describeSessions, wrongType);

    expect(validation.violations()).toHaveLength(1);
    expect(takeRecordedResponseViolations()).toEqual(validation.violations());
    expect(takeRecordedResponseViolations()).toEqual([]);
  });

  it("accepts the simulator's error answers and refuses one that is not in EC2's error shape", async () => {
    const notFound = await rawAnswer(h, { Action: 'DeleteTrafficMirrorSession', TrafficMirrorSessionId: 'tms-0123456789abcdef0' });
    const withoutCode = notFound.replace(/<Code>.*<\/Code>/, '');

    expect(notFound).toContain('<Code>InvalidTrafficMirrorSessionId.NotFound</Code>');
    expect(validateErrorResponse('DeleteTrafficMirrorSession', notFound)).toEqual([]);
    expect(validateErrorResponse('DeleteTrafficMirrorSession', withoutCode)).toEqual([expect.stringContaining('has no Code')]);
  });
});

describe("SSM answers against AWS's SSM model", () => {
  const parameter = {
    Name: '/org',
    Type: 'String',
    Value: '{}',
    Version: 1,
    LastModifiedDate: 1_700_000_000.5,
    ARN: 'arn:aws:ssm:eu-west-1:111122223333:parameter/org',
    DataType: 'text',
  };

  it("accepts a GetParameter answer in the model's shape", () => {
    expect(validateSsmResponse('GetParameter', 200, JSON.stringify({ Parameter: parameter }))).toEqual([]);
  });

  it('refuses a member the model does not have, and a timestamp that is not epoch seconds', () => {
    const wrong = { Parameter: { ...parameter, LastModifiedDate: '2026-12-05T00:00:00Z', Owner: 'me' } };

    expect(validateSsmResponse('GetParameter', 200, JSON.stringify(wrong))).toEqual([
      expect.stringContaining('GetParameter.Parameter.LastModifiedDate: expected epoch seconds'),
      expect.stringContaining('GetParameter.Parameter.Owner: not a member of the model'),
    ]);
  });

  it('refuses an integer Version sent as text in PutParameter', () => {
    expect(validateSsmResponse('PutParameter', 200, JSON.stringify({ Version: '2', Tier: 'Standard' }))).toEqual([
      expect.stringContaining('PutParameter.Version: expected an integer'),
    ]);
  });

  it('accepts an error body of __type and message only', () => {
    expect(validateSsmResponse('GetParameter', 400, JSON.stringify({ __type: 'ParameterNotFound', message: '' }))).toEqual([]);
    expect(validateSsmResponse('GetParameter', 400, JSON.stringify({ code: 'ParameterNotFound' }))).toEqual([
      expect.stringContaining('an error body holds __type and message'),
    ]);
  });
});
