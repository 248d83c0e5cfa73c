import {
  CreateTagsCommand,
  DeleteTrafficMirrorFilterCommand,
  DeleteTrafficMirrorSessionCommand,
  DeleteTrafficMirrorTargetCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, type Harness, launch, startHarness } from './sim-harness';

/**
 * Resource ids as AWS makes them (prefix + 17 hex; the CLI reference examples show `tms-` for sessions) and the
 * split AWS draws between an id of the wrong shape (`...Malformed`) and a well-formed id nobody has (`...NotFound`).
 */
describe('resource ids', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  type Call = (id: string) => Promise<unknown>;
  const calls: Record<string, Call> = {
    instance: (id) => h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })),
    'network interface': (id) => h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })),
    subnet: (id) => h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] })),
    'traffic mirror target': (id) => h.ec2.send(new DeleteTrafficMirrorTargetCommand({ TrafficMirrorTargetId: id })),
    'traffic mirror filter': (id) => h.ec2.send(new DeleteTrafficMirrorFilterCommand({ TrafficMirrorFilterId: id })),
    'traffic mirror session': (id) => h.ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: id })),
    'network interface attachment': (id) => h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: id })),
  };
  const call = (kind: string): Call => calls[kind] as Call;

  it.each([
    ['instance', 'i-0123456789abcdef0', 'InvalidInstanceID.NotFound'],
    ['network interface', 'eni-0123456789abcdef0', 'InvalidNetworkInterfaceID.NotFound'],
    ['subnet', 'subnet-0123456789abcdef0', 'InvalidSubnetID.NotFound'],
    ['traffic mirror target', 'tmt-0123456789abcdef0', 'InvalidTrafficMirrorTargetId.NotFound'],
    ['traffic mirror filter', 'tmf-0123456789abcdef0', 'InvalidTrafficMirrorFilterId.NotFound'],
    ['traffic mirror session', 'tms-0123456789abcdef0', 'InvalidTrafficMirrorSessionId.NotFound'],
    ['traffic mirror session', 'tms-01234567', 'InvalidTrafficMirrorSessionId.NotFound'],
    ['network interface attachment', 'eni-attach-0123456789abcdef0', 'InvalidAttachmentID.NotFound'],
  ])('answers NotFound for a well-formed %s id nobody has (%s)', async (kind, id, code) => {
    expect(await errorCodeOf(call(kind)(id))).toBe(code);
  });

  it.each([
    ['instance', 'i-xyz', 'InvalidInstanceID.Malformed'],
    ['network interface', 'eni-0123', 'InvalidNetworkInterfaceId.Malformed'],
    ['subnet', 'subnet-ABCDEF0123456789A', 'InvalidSubnetID.Malformed'],
    ['traffic mirror target', 'tmt-1', 'InvalidTrafficMirrorTargetId.Malformed'],
    ['traffic mirror filter', 'tmf-0123456789abcdefg', 'InvalidTrafficMirrorFilterId.Malformed'],
    ['traffic mirror session', 'tmms-0123456789abcdef0', 'InvalidTrafficMirrorSessionId.Malformed'],
    ['network interface attachment', 'attach-0123456789abcdef0', 'InvalidNetworkInterfaceAttachmentId.Malformed'],
  ])('answers Malformed for a %s id of the wrong shape (%s)', async (kind, id, code) => {
    expect(await errorCodeOf(call(kind)(id))).toBe(code);
  });

  it('makes ids of each kind with its prefix and 17 hex digits', async () => {
    const { instanceId, eniIds } = await launch(h, 'c5.large');
    const described = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const reservation = described.Reservations?.[0];
    const attachmentId = reservation?.Instances?.[0]?.NetworkInterfaces?.[0]?.Attachment?.AttachmentId;

    expect(instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(eniIds[0]).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(reservation?.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(attachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
  });

  it('tags a session by its tms- id', async () => {
    expect(
      await errorCodeOf(h.ec2.send(new CreateTagsCommand({ Resources: ['tms-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }))),
    ).toBe('InvalidTrafficMirrorSessionId.NotFound');
  });
});
