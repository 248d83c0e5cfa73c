/** An EC2 API error: serialised as EC2's XML error document with this code and HTTP status. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const missingParameter = (name: string): Ec2Error =>
  new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);

export const invalidValue = (name: string, value: string, why?: string): Ec2Error =>
  new Ec2Error('InvalidParameterValue', `Invalid value '${value}' for ${name}${why ? `. ${why}` : '.'}`);

export const invalidCombination = (message: string): Ec2Error => new Ec2Error('InvalidParameterCombination', message);

export const requestLimitExceeded = (): Ec2Error => new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);

export const internalError = (): Ec2Error => new Ec2Error('InternalError', 'An internal error has occurred', 500);
