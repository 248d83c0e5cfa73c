/**
 * Opt-in response validation against AWS's EC2 service model (and SSM's, for Parameter Store answers). Each
 * violation is kept by the simulator that sent the response and in a registry on the global object, so a test setup
 * can assert, after every suite, that no simulator started in it sent anything the model does not allow
 * (testing/conformance-setup.ts).
 */
import { loadServiceModel, type ServiceModel } from './service-model';
import { validateSsmResponse } from './ssm-model';
import { validateErrorResponse, validateResponse } from './validator';

export { loadServiceModel, type ServiceModel } from './service-model';
export { validateSsmResponse } from './ssm-model';
export { validateErrorResponse, validateResponse } from './validator';

const REGISTRY = Symbol.for('ec2-sim.responseViolations');
type Registry = { [REGISTRY]?: string[] };

let model: ServiceModel | undefined;

export interface ResponseValidation {
  check(action: string, params: Readonly<Record<string, string>>, xml: string): void;
  checkError(action: string, xml: string): void;
  /** An SSM answer (JSON 1.1) against the SSM model. */
  checkSsm(action: string, status: number, body: string): void;
  violations(): string[];
}

export function createResponseValidation(): ResponseValidation {
  model ??= loadServiceModel();
  const loaded = model;
  const found: string[] = [];
  const record = (violations: string[]) => {
    found.push(...violations);
    registry().push(...violations);
  };
  return {
    check(action, params, xml) {
      record(validateResponse(loaded, action, params, xml));
    },
    checkError(action, xml) {
      record(validateErrorResponse(action, xml));
    },
    checkSsm(action, status, body) {
      record(validateSsmResponse(action, status, body));
    },
    violations: () => [...found],
  };
}

/** Every violation any simulator in this test file (this global object) recorded; clears them. */
export function takeRecordedResponseViolations(): string[] {
  return registry().splice(0);
}

function registry(): string[] {
  const global = globalThis as Registry;
  global[REGISTRY] ??= [];
  return global[REGISTRY];
}
