/** Starting the simulator and pointing the real EC2 SDK at it, for the simulator's own suites. */
import { CreateTrafficMirrorFilterCommand, CreateTrafficMirrorTargetCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src';

export interface Harness {
  readonly sim: Simulator;
  /** maxAttempts 1: errors surface as they are, without SDK retries. */
  readonly ec2: EC2Client;
  client(maxAttempts: number): EC2Client;
  close(): Promise<void>;
}

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ seed: 7, transitionDelayMs: 0, ...options });
  const clients: EC2Client[] = [];
  const client = (maxAttempts: number) => {
    const made = new EC2Client({
      endpoint: sim.url,
      // The simulator keeps one EC2 per Region, chosen by the request's signing Region: sign in the simulator's.
      region: sim.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts,
    });
    clients.push(made);
    return made;
  };
  const ec2 = client(1);
  return {
    sim,
    ec2,
    client,
    async close() {
      for (const made of clients) made.destroy();
      await sim.stop();
    },
  };
}

/** The EC2 error code of a rejected call (the SDK sets it as the error's name). */
export async function errorCodeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Launches one instance (running once the simulator settles) and answers its id and ENI ids, primary first. */
export async function launch(
  harness: Harness,
  instanceType: string,
  extra: Partial<ConstructorParameters<typeof RunInstancesCommand>[0]> = {},
): Promise<{ instanceId: string; eniIds: string[] }> {
  const result = await harness.ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, InstanceType: instanceType as never, ...extra }),
  );
  await harness.sim.settle();
  const instance = result.Instances?.[0];
  const eniIds = [...(instance?.NetworkInterfaces ?? [])]
    .sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0))
    .map((eni) => eni.NetworkInterfaceId as string);
  return { instanceId: instance?.InstanceId as string, eniIds };
}

export async function eniTarget(harness: Harness, instanceType = 'c5.large'): Promise<string> {
  const { eniIds } = await launch(harness, instanceType);
  const result = await harness.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: eniIds[0] }));
  return result.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
}

export async function nlbTarget(harness: Harness, name = 'mirror'): Promise<string> {
  const arn = `arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/net/${name}/0123456789abcdef`;
  const result = await harness.ec2.send(new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: arn }));
  return result.TrafficMirrorTarget?.TrafficMirrorTargetId as string;
}

export async function mirrorFilter(harness: Harness): Promise<string> {
  const result = await harness.ec2.send(new CreateTrafficMirrorFilterCommand({ Description: 'all traffic' }));
  return result.TrafficMirrorFilter?.TrafficMirrorFilterId as string;
}
