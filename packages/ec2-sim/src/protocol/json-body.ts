/** The request body of an AWS JSON 1.1 service (SSM, Organizations): a JSON object, or the service's SerializationException. */
export type JsonObject = Record<string, unknown>;

const NOT_AN_OBJECT = 'Start of structure or map found where not expected.';

/** An empty body is `{}`; anything but a JSON object is refused with `serializationError` (the service's own error). */
export function parseJsonObject(body: string, serializationError: (message: string) => Error): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.trim() === '' ? '{}' : body);
  } catch {
    throw serializationError(NOT_AN_OBJECT);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw serializationError(NOT_AN_OBJECT);
  return parsed as JsonObject;
}
