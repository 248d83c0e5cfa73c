/**
 * The organization document's text, read from SSM Parameter Store (the wiring parses it and caches it briefly). A
 * missing parameter is a ConfigError naming the parameter.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../domain/errors';
import { errorCode, toDomainError } from './error-mapping';

export async function readParameterText(ssm: SSMClient, parameterName: string): Promise<string> {
  try {
    const answer = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
    return answer.Parameter?.Value ?? '';
  } catch (error) {
    if (errorCode(error) === 'ParameterNotFound') throw new ConfigError(parameterName, 'no such SSM parameter', { cause: error });
    throw toDomainError(error, `SSM GetParameter ${parameterName}`);
  }
}
