/**
 * Checks one response of the simulator against AWS's EC2 service model (./service-model): the root element, every
 * element name (a member's locationName), every scalar's type, every enum value, list wrappers (`<item>`), and for
 * paginated operations the result list and the NextToken. Reads the XML as sent, so it shares nothing with the
 * simulator's own serialisation. Returns the violations found, each naming the action and the element path.
 *
 * Besides the model's members, the envelope may hold `requestId`, and for actions without output members
 * `<return>true</return>`: AWS sends it (the API reference's example responses for CreateTags, DeleteTags,
 * DeleteNetworkInterface, DetachNetworkInterface) although the model leaves it out and SDKs ignore it.
 */
import { XMLParser } from 'fast-xml-parser';
import type { ServiceModel, ShapeRef, TypingsType } from './service-model';

type XmlNode = Record<string, XmlNode[] | string> & { ':@'?: Record<string, string> };

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, parseTagValue: false, trimValues: false });

export function validateResponse(model: ServiceModel, action: string, params: Readonly<Record<string, string>>, xml: string): string[] {
  const violations: string[] = [];
  const report = (path: string, problem: string) => violations.push(`${action} ${path}: ${problem}`);
  const operation = model.operations.get(action);
  if (!operation) return [`${action}: not an operation of the EC2 model`];
  const root = elementsOf(parser.parse(xml) as XmlNode[]).find(([name]) => name !== '?xml');
  if (!root || root[0] !== `${action}Response`) {
    report('/', `root element is ${root?.[0] ?? 'missing'}, the model's is ${action}Response`);
    return violations;
  }
  const [, children, attributes] = root;
  if (!attributes['@_xmlns']?.startsWith(model.xmlNamespace)) report('/', `xmlns is ${attributes['@_xmlns']}, not ${model.xmlNamespace}/`);
  const output = operation.output ? model.resolve(operation.output) : { type: 'structure', members: {} };
  const envelope = new Set(['requestId', ...(Object.keys(output.members ?? {}).length === 0 ? ['return'] : [])]);
  const responseMembers = elementsOf(children).filter(([name]) => !envelope.has(name));
  const returned = elementsOf(children).find(([name]) => name === 'return' && envelope.has(name));
  if (returned && textOf(returned[1]) !== 'true') report(`${action}Response/return`, `'${textOf(returned[1])}' is not true`);
  checkStructure(model, output, operation.outputTypeName, responseMembers, `${action}Response`, report);
  checkPagination(model, action, params, output, responseMembers, report);
  return violations;
}

type Report = (path: string, problem: string) => void;
type Element = [name: string, children: XmlNode[], attributes: Record<string, string>];

function elementsOf(nodes: XmlNode[]): Element[] {
  return nodes.flatMap((node) =>
    Object.entries(node)
      .filter(([name]) => name !== ':@' && name !== '#text')
      .map(([name, children]): Element => [name, children as XmlNode[], node[':@'] ?? {}]),
  );
}

function textOf(children: XmlNode[]): string {
  return children.map((node) => (typeof node['#text'] === 'string' ? node['#text'] : '')).join('');
}

function xmlNameOf(name: string, ref: ShapeRef): string {
  return ref.locationName ?? name;
}

function checkStructure(
  model: ServiceModel,
  shape: ShapeRef,
  typeName: string | undefined,
  elements: Element[],
  path: string,
  report: Report,
): void {
  const typing = typeName === undefined ? undefined : model.typings.get(typeName);
  const byXmlName = new Map(Object.entries(shape.members ?? {}).map(([name, ref]) => [xmlNameOf(name, ref), { name, ref }]));
  const seen = new Set<string>();
  for (const [xmlName, children] of elements) {
    const member = byXmlName.get(xmlName);
    if (!member) {
      report(`${path}/${xmlName}`, 'no such member in the model');
      continue;
    }
    if (seen.has(xmlName)) report(`${path}/${xmlName}`, 'appears more than once');
    seen.add(xmlName);
    const memberType = typing?.kind === 'structure' ? typing.members.get(member.name) : undefined;
    checkValue(model, model.resolve(member.ref), memberType, children, `${path}/${xmlName}`, report);
  }
}

function checkValue(
  model: ServiceModel,
  shape: ShapeRef,
  typeName: string | undefined,
  children: XmlNode[],
  path: string,
  report: Report,
): void {
  const typing: TypingsType | undefined = typeName === undefined ? undefined : model.typings.get(typeName);
  const elements = elementsOf(children);
  switch (shape.type ?? 'string') {
    case 'structure':
      checkStructure(model, shape, typeName, elements, path, report);
      return;
    case 'list': {
      const item = model.resolve(shape.member ?? {});
      const itemName = shape.member?.locationName ?? 'member';
      const itemType = typing?.kind === 'list' ? typing.item : undefined;
      for (const [name, itemChildren] of elements) {
        if (name !== itemName) report(`${path}/${name}`, `a list holds <${itemName}> elements`);
        else checkValue(model, item, itemType, itemChildren, `${path}/${itemName}`, report);
      }
      if (textOf(children).trim() !== '') report(path, 'a list has text content');
      return;
    }
    case 'map':
      report(path, 'maps are not served by the simulator; this one is unchecked');
      return;
    default:
      if (elements.length > 0) {
        report(path, `a ${shape.type ?? 'string'} has child elements <${elements.map(([name]) => name).join('>, <')}>`);
        return;
      }
      checkScalar(shape.type ?? 'string', textOf(children), typing, path, report);
  }
}

function checkScalar(type: string, text: string, typing: TypingsType | undefined, path: string, report: Report): void {
  const fail = (what: string) => report(path, `'${text}' is not ${what}`);
  if ((type === 'integer' || type === 'long') && !/^-?\d+$/.test(text)) fail(`an ${type}`);
  if ((type === 'double' || type === 'float') && !Number.isFinite(Number(text))) fail(`a ${type}`);
  if (type === 'boolean' && text !== 'true' && text !== 'false') fail('a boolean (true|false)');
  if (type === 'timestamp' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text)) fail('an ISO 8601 timestamp');
  if (typing?.kind === 'enum' && !typing.values.has(text) && !newerThanModel(typing.values, text)) {
    fail(`one of ${[...typing.values].join('|')}`);
  }
}

/**
 * The aws-sdk v2 model is frozen while AWS keeps adding instance families (m8g, c8g, x8g came after it): an
 * instance type of a family the enum has never heard of is accepted; a size the enum lacks in a family it knows is
 * not (that is a type AWS does not make, such as c6g.24xlarge).
 */
function newerThanModel(values: ReadonlySet<string>, text: string): boolean {
  const family = /^([a-z][a-z0-9-]*)\.[a-z0-9-]+$/.exec(text)?.[1];
  if (family === undefined || !values.has('m5.large')) return false;
  return ![...values].some((value) => value.startsWith(`${family}.`));
}

/** The model's paginator: the result list is there, and a NextToken, when given, is a new non-empty token. */
function checkPagination(
  model: ServiceModel,
  action: string,
  params: Readonly<Record<string, string>>,
  output: ShapeRef,
  elements: Element[],
  report: Report,
): void {
  const paginator = model.paginators.get(action);
  if (!paginator) return;
  const members = output.members ?? {};
  const resultRef = members[paginator.result_key];
  const tokenRef = members[paginator.output_token];
  if (!resultRef || !tokenRef) {
    report('/', `the model's paginator names ${paginator.result_key}/${paginator.output_token}, absent from the output`);
    return;
  }
  const resultName = xmlNameOf(paginator.result_key, resultRef);
  if (!elements.some(([name]) => name === resultName)) report(`/${resultName}`, 'the paginated result list is missing');
  const token = elements.find(([name]) => name === xmlNameOf(paginator.output_token, tokenRef));
  if (!token) return;
  const value = textOf(token[1]);
  if (value === '') report(`/${token[0]}`, 'an empty NextToken (AWS leaves the element out on the last page)');
  if (value !== '' && value === params[paginator.input_token])
    report(`/${token[0]}`, 'the NextToken the request came with: a client would loop');
}

/**
 * An error answer in EC2's shape, which no operation's model describes: `<Response><Errors><Error>` with a non-empty
 * `Code` and a `Message`, and a `RequestID` (EC2 API reference, "Error codes": error response structure).
 */
export function validateErrorResponse(action: string, xml: string): string[] {
  const violations: string[] = [];
  const report = (path: string, problem: string) => violations.push(`${action || '(no action)'} error ${path}: ${problem}`);
  const root = elementsOf(parser.parse(xml) as XmlNode[]).find(([name]) => name !== '?xml');
  if (!root || root[0] !== 'Response') {
    report('/', `root element is ${root?.[0] ?? 'missing'}, EC2's is Response`);
    return violations;
  }
  const children = elementsOf(root[1]);
  const names = children.map(([name]) => name);
  if (names.join(',') !== 'Errors,RequestID') report('Response', `holds <${names.join('>, <')}>, EC2's holds <Errors>, <RequestID>`);
  const errors = elementsOf(children.find(([name]) => name === 'Errors')?.[1] ?? []);
  if (errors.length === 0 || errors.some(([name]) => name !== 'Error')) report('Response/Errors', 'must hold one or more <Error>');
  for (const [, error] of errors) {
    const members = elementsOf(error);
    const code = members.find(([name]) => name === 'Code');
    if (!code || textOf(code[1]) === '') report('Response/Errors/Error', 'has no Code');
    if (!members.some(([name]) => name === 'Message')) report('Response/Errors/Error', 'has no Message');
    const unknown = members.filter(([name]) => name !== 'Code' && name !== 'Message');
    if (unknown.length > 0) report('Response/Errors/Error', `holds <${unknown.map(([name]) => name).join('>, <')}>`);
  }
  return violations;
}
