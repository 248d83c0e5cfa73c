import { ConfigError, InvalidEventError, PermanentError, RetryableError } from '../../shared/domain/errors';

describe('typed errors', () => {
  it('classes an invalid event as permanent, keeping its id', () => {
    const error = new InvalidEventError('evt-1', 'detail.state: bad');

    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ name: 'InvalidEventError', eventId: 'evt-1', message: 'detail.state: bad' });
  });

  it('starts a configuration error with the variable it is about, once', () => {
    expect(new ConfigError('MIRROR_VNI', 'must be an integer').message).toBe('MIRROR_VNI: must be an integer');
    expect(new ConfigError('MIRROR_VNI', 'MIRROR_VNI: must be an integer').message).toBe('MIRROR_VNI: must be an integer');
    expect(new ConfigError('MIRROR_VNI', 'x')).toMatchObject({ name: 'ConfigError', variable: 'MIRROR_VNI' });
  });

  it('keeps the cause of a retryable error', () => {
    const cause = new Error('RequestLimitExceeded');

    const error = new RetryableError('throttled after retries', { cause });

    expect(error).toMatchObject({ name: 'RetryableError', cause });
    expect(error).not.toBeInstanceOf(PermanentError);
  });
});
