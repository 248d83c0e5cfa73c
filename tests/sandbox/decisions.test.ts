/** parseLogLine: the handlers' Powertools JSON lines (captured from a real run) -> decisions and notable entries. */
import { parseLogLine } from '../../local/sandbox/decisions';

const ATTACH_LINE =
  '{"level":"INFO","message":"decision","timestamp":"2026-11-25T09:39:33.266Z","service":"vpc-mirror-orchestrator",' +
  '"cold_start":true,"function_arn":"arn:aws:lambda:us-east-1:111122223333:function:vpc-mirror-orchestrator-dev-stateChange",' +
  '"function_memory_size":"256","function_name":"vpc-mirror-orchestrator-dev-stateChange",' +
  '"function_request_id":"25dd6b64-501c-4aa9-a83b-b2faf242eb2b","sampling_rate":0,' +
  '"xray_trace_id":"1-6b06acd5-676df7b822b64eecb9be662d","instanceId":"i-4edaa36434ef2510c","action":"attach",' +
  '"eniId":"eni-632d4e86a538cc03a","sessionId":"tms-a086c41ff0d16986b","targetId":"tmt-65a881cd424e42a85",' +
  '"sessionNumber":1,"reason":"eligible","triggerEventId":"0fe74b75-ec96-4601-a68b-6b18e69ade8e"}';

describe('parseLogLine', () => {
  it('reads a decision line with everything the log and the table show', () => {
    expect(parseLogLine(ATTACH_LINE)).toEqual({
      kind: 'decision',
      decision: {
        time: '2026-11-25T09:39:33.266Z',
        functionName: 'vpc-mirror-orchestrator-dev-stateChange',
        instanceId: 'i-4edaa36434ef2510c',
        eniId: 'eni-632d4e86a538cc03a',
        action: 'attach',
        reason: 'eligible',
        sessionId: 'tms-a086c41ff0d16986b',
        targetId: 'tmt-65a881cd424e42a85',
        sessionNumber: 1,
        triggerEventId: '0fe74b75-ec96-4601-a68b-6b18e69ade8e',
        level: 'INFO',
      },
    });
  });

  it('keeps an instance-wide refusal without an ENI, naming the function from the runtime when the line does not', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'decision',
      timestamp: '2026-11-25T09:39:34.000Z',
      instanceId: 'i-0123456789abcdef0',
      action: 'refuse',
      reason: 'bare-metal',
      detail: 'm5.metal is a bare-metal size',
    });
    const parsed = parseLogLine(line, 'sweep');
    expect(parsed).toMatchObject({
      kind: 'decision',
      decision: { functionName: 'sweep', action: 'refuse', reason: 'bare-metal', detail: 'm5.metal is a bare-metal size' },
    });
    expect(parsed.kind === 'decision' ? Object.keys(parsed.decision) : []).not.toContain('eniId');
  });

  it('turns an error line into an entry with its event id, reason and error', () => {
    const line = JSON.stringify({
      level: 'ERROR',
      message: 'invalid event',
      timestamp: '2026-11-25T09:39:35.000Z',
      function_name: 'vpc-mirror-orchestrator-dev-stateChange',
      eventId: 'e-1',
      reason: 'malformed event: detail.instance-id',
      error: { name: 'InvalidEventError', message: 'no instance id' },
    });
    expect(parseLogLine(line)).toEqual({
      kind: 'other',
      entry: {
        time: '2026-11-25T09:39:35.000Z',
        functionName: 'vpc-mirror-orchestrator-dev-stateChange',
        level: 'ERROR',
        message: 'invalid event',
        context: 'eventId=e-1 reason=malformed event: detail.instance-id error=InvalidEventError: no instance id',
      },
    });
  });

  it('leaves lines that are not JSON objects alone (stack traces, runtime warnings)', () => {
    expect(parseLogLine('(node:1234) Warning: something')).toEqual({ kind: 'not-json', text: '(node:1234) Warning: something' });
    expect(parseLogLine('{"truncated":')).toEqual({ kind: 'not-json', text: '{"truncated":' });
  });
});
