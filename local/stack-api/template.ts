/**
 * A packaged CloudFormation template (`sls package` output) as a deployed stack would report it: intrinsic
 * functions resolved against the physical names the deployment gave its resources. Only what DescribeStacks,
 * ListStackResources and GetFunctionConfiguration show is resolved: Ref, Fn::GetAtt, Fn::Join, Fn::Sub.
 */

export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

export interface DeployedTemplate {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** Physical names chosen by the deployment (e.g. the ledger table dynalite holds); the rest are generated. */
  readonly physicalIds?: Readonly<Record<string, string>>;
  readonly template: {
    readonly Resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>>;
    readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
    readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  };
}

export class DeployedStack {
  constructor(private readonly deployed: DeployedTemplate) {}

  get name(): string {
    return this.deployed.stackName;
  }

  get stackId(): string {
    return `arn:aws:cloudformation:${this.deployed.region}:${this.deployed.accountId}:stack/${this.deployed.stackName}/00000000-0000-4000-8000-000000000000`;
  }

  resources(): DeployedResource[] {
    return Object.entries(this.deployed.template.Resources).map(([logicalId, resource]) => ({
      logicalId,
      type: resource.Type,
      physicalId: this.physicalId(logicalId),
    }));
  }

  outputs(): Array<{ key: string; value: string; description?: string }> {
    return Object.entries(this.deployed.template.Outputs ?? {}).flatMap(([key, output]) => {
      const value = this.resolve(output.Value);
      return typeof value === 'string'
        ? [{ key, value, ...(output.Description !== undefined && { description: output.Description }) }]
        : [];
    });
  }

  /** The Lambda function with this name or ARN, as GetFunctionConfiguration describes it. */
  functionNamed(
    nameOrArn: string,
  ): { name: string; arn: string; runtime?: string; handler?: string; variables: Record<string, string> } | undefined {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : nameOrArn;
    const found = this.resources().find((resource) => resource.type === 'AWS::Lambda::Function' && resource.physicalId === name);
    if (found === undefined) return undefined;
    const properties = this.deployed.template.Resources[found.logicalId]?.Properties ?? {};
    const environment = properties.Environment as { Variables?: Record<string, unknown> } | undefined;
    const variables = Object.fromEntries(
      Object.entries(environment?.Variables ?? {}).flatMap(([variable, value]) => {
        const resolved = this.resolve(value);
        return typeof resolved === 'string' ? [[variable, resolved]] : [];
      }),
    );
    return {
      name,
      arn: `arn:aws:lambda:${this.deployed.region}:${this.deployed.accountId}:function:${name}`,
      ...(typeof properties.Runtime === 'string' && { runtime: properties.Runtime }),
      ...(typeof properties.Handler === 'string' && { handler: properties.Handler }),
      variables,
    };
  }

  private physicalId(logicalId: string): string {
    const chosen = this.deployed.physicalIds?.[logicalId];
    if (chosen !== undefined) return chosen;
    const properties = this.deployed.template.Resources[logicalId]?.Properties ?? {};
    const named = properties.FunctionName ?? properties.TableName ?? properties.QueueName;
    if (typeof named === 'string') return named;
    // CloudFormation's generated names: <stack>-<logical id>-<random suffix>.
    return `${this.deployed.stackName}-${logicalId}-1A2B3C4D5E6F`;
  }

  private pseudo(name: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Region': this.deployed.region,
      'AWS::AccountId': this.deployed.accountId,
      'AWS::Partition': 'aws',
      'AWS::StackName': this.deployed.stackName,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return values[name];
  }

  private ref(name: string): string | undefined {
    if (this.deployed.template.Resources[name] !== undefined) return this.physicalId(name);
    const parameter = this.deployed.template.Parameters?.[name];
    if (parameter !== undefined) return typeof parameter.Default === 'string' ? parameter.Default : undefined;
    return this.pseudo(name);
  }

  resolve(value: unknown): unknown {
    if (typeof value === 'string' || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    const entries = Object.entries(value as Record<string, unknown>);
    const [intrinsic, argument] = entries[0] ?? [];
    if (entries.length === 1 && intrinsic === 'Ref' && typeof argument === 'string') return this.ref(argument);
    if (entries.length === 1 && intrinsic === 'Fn::GetAtt' && Array.isArray(argument)) {
      return `arn:aws:${String(argument[0])}:${this.deployed.region}:${this.deployed.accountId}:${this.physicalId(String(argument[0]))}`;
    }
    if (entries.length === 1 && intrinsic === 'Fn::Join' && Array.isArray(argument)) {
      const [separator, parts] = argument as [string, unknown[]];
      const resolved = (this.resolve(parts) as unknown[]) ?? [];
      return resolved.every((part) => typeof part === 'string') ? resolved.join(separator) : undefined;
    }
    if (entries.length === 1 && intrinsic === 'Fn::Sub' && typeof argument === 'string') {
      return argument.replace(/\$\{([^}]+)\}/g, (_, name: string) => this.ref(name) ?? '');
    }
    return undefined;
  }
}
