// @ts-check
/**
 * One local "execution environment": loads a handler module once, then serves invocations sent by the parent
 * (LocalLambda) over the IPC channel, one at a time, like a Lambda sandbox.
 * Plain JavaScript on purpose: it runs under `node --import tsx` for TypeScript sources and under plain `node`
 * for bundled artifacts. Usage: node container.mjs <module file> <export name>
 */

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** Lines starting with this mark tell the parent which request the following log lines belong to. */
const REQUEST_MARK = '\u001e__LOCAL_LAMBDA_REQUEST__ ';

const [modulePath, exportName = 'handler'] = process.argv.slice(2);

/** @param {unknown} message */
function send(message) {
  if (process.send) process.send(message);
}

/** @param {unknown} error */
function toErrorPayload(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      stackTrace: (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error) };
}

function memory() {
  return { rssBytes: process.memoryUsage().rss, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

// The parent going away (crash, SIGKILL) must not leave this process behind.
process.on('disconnect', () => process.exit(0));

async function load() {
  if (!modulePath) throw new Error('container.mjs: missing module path argument');
  const started = performance.now();
  const module = await import(pathToFileURL(modulePath).href);
  const handler = module[exportName] ?? module.default?.[exportName];
  if (typeof handler !== 'function') {
    const error = new Error(`${modulePath} does not export a function named ${exportName}`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return { handler, initMs: performance.now() - started };
}

/**
 * @param {Function} handler
 * @param {unknown} event
 * @param {Record<string, unknown>} context
 */
function callHandler(handler, event, context) {
  // Callback-style handlers (three parameters, no promise) are still supported by Lambda's Node runtime.
  return new Promise((resolve, reject) => {
    /** @param {unknown} error @param {unknown} value */
    const callback = (error, value) => (error ? reject(error) : resolve(value));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

try {
  const { handler, initMs } = await load();
  process.on('message', async (/** @type {any} */ message) => {
    if (message?.type !== 'invoke') return;
    const { requestId, payload, deadline, context: base } = message;
    process.stdout.write(`${REQUEST_MARK}${requestId}\n`);
    process.stderr.write(`${REQUEST_MARK}${requestId}\n`);
    process.env._X_AMZN_TRACE_ID = base.traceId;
    const context = {
      ...base,
      awsRequestId: requestId,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const started = performance.now();
    try {
      const value = await callHandler(handler, payload, context);
      // Lambda serialises the result as JSON: a result that cannot be serialised is an error.
      const json = value === undefined ? null : JSON.parse(JSON.stringify(value));
      send({ type: 'result', requestId, ok: true, value: json, durationMs: performance.now() - started, ...memory() });
    } catch (error) {
      send({ type: 'result', requestId, ok: false, error: toErrorPayload(error), durationMs: performance.now() - started, ...memory() });
    }
  });
  send({ type: 'ready', initMs, ...memory() });
} catch (error) {
  // Exit only once the parent has the reason, as Lambda reports an init error before discarding the sandbox.
  if (process.send) process.send({ type: 'init-error', error: toErrorPayload(error) }, () => process.exit(1));
  else process.exit(1);
}
