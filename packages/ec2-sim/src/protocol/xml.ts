/**
 * EC2 Query protocol output. Plain objects become elements (keys are already lowerCamel), arrays become
 * `<xxxSet><item>..</item></xxxSet>` under their key, undefined members are left out.
 */
import { XMLBuilder } from 'fast-xml-parser';

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true });

export type XmlValue = string | number | boolean | Date | undefined | null | XmlValue[] | { [key: string]: XmlValue };

function toBuilderShape(value: XmlValue): unknown {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.length === 0 ? '' : { item: value.map(toBuilderShape) };
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      const shaped = toBuilderShape(member);
      if (shaped !== undefined) out[key] = shaped;
    }
    return out;
  }
  return String(value);
}

export function successXml(action: string, requestId: string, body: Record<string, XmlValue>): string {
  const root = { '@_xmlns': NAMESPACE, requestId, ...(toBuilderShape(body) as Record<string, unknown>) };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [`${action}Response`]: root })}`;
}

export function errorXml(code: string, message: string, requestId: string): string {
  const document = { Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId } };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(document)}`;
}
