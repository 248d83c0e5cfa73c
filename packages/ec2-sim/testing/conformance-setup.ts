/**
 * Runs before every test file (jest setupFilesAfterEnv): every EC2 simulator the file starts checks its answers
 * against AWS's EC2 service model, and after the file's tests the violations found must be none.
 */
import { takeRecordedResponseViolations } from '../src/conformance';

process.env.EC2_SIM_VALIDATE_RESPONSES = '1';

afterAll(() => {
  const violations = takeRecordedResponseViolations();
  if (violations.length > 0) {
    throw new Error(
      `The EC2 simulator sent ${violations.length} answer(s) AWS's EC2 model does not allow:\n${[...new Set(violations)].join('\n')}`,
    );
  }
});
