/**
 * A small checker for the part of OpenAPI 3.0 schemas our document uses ($ref, allOf, oneOf, anyOf,
 * not, type, enum, required, properties, items, maxLength, nullable), to hold examples and real
 * answers against the document. It reports why a value does not fit, or nothing.
 */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  maxLength?: number;
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  not?: Schema;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, Record<string, unknown>> };
  tags?: Array<{ name: string; description?: string }>;
}

/** The object a local `$ref` (`#/components/...`) points at, or undefined. */
export function resolveRef(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), document);
}

const TYPE_CHECKS: Record<string, (value: unknown) => boolean> = {
  object: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  array: Array.isArray,
  string: (value) => typeof value === 'string',
  integer: Number.isInteger,
  number: (value) => typeof value === 'number',
  boolean: (value) => typeof value === 'boolean',
};

/** Why `value` does not fit `schema` (empty when it fits). */
export function schemaErrors(document: OpenApiDocument, schema: Schema, value: unknown, at = '$'): string[] {
  if (schema.$ref) {
    const target = resolveRef(document, schema.$ref) as Schema | undefined;
    return target ? schemaErrors(document, target, value, at) : [`${at}: unresolved ${schema.$ref}`];
  }
  if (value === null && schema.nullable) return [];
  const errors: string[] = [];
  if (schema.type) {
    const check = TYPE_CHECKS[schema.type];
    if (!check) return [`${at}: unknown type ${schema.type}`];
    if (!check(value)) return [`${at}: not ${schema.type}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (schema.maxLength !== undefined && typeof value === 'string' && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
  if (TYPE_CHECKS.object(value)) errors.push(...objectErrors(document, schema, value as Record<string, unknown>, at));
  if (schema.items && Array.isArray(value)) value.forEach((item, i) => errors.push(...schemaErrors(document, schema.items as Schema, item, `${at}[${i}]`)));
  for (const part of schema.allOf ?? []) errors.push(...schemaErrors(document, part, value, at));
  if (schema.anyOf && !schema.anyOf.some((part) => schemaErrors(document, part, value, at).length === 0)) errors.push(`${at}: matches none of anyOf`);
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((part) => schemaErrors(document, part, value, at).length === 0).length;
    if (matching !== 1) errors.push(`${at}: matches ${matching} of oneOf, not exactly 1`);
  }
  if (schema.not && schemaErrors(document, schema.not, value, at).length === 0) errors.push(`${at}: matches its not`);
  return errors;
}

function objectErrors(document: OpenApiDocument, schema: Schema, value: Record<string, unknown>, at: string): string[] {
  const errors = (schema.required ?? []).filter((name) => !(name in value)).map((name) => `${at}.${name}: required`);
  for (const [name, property] of Object.entries(value)) {
    const declared = schema.properties?.[name];
    if (declared) errors.push(...schemaErrors(document, declared, property, `${at}.${name}`));
    else if (schema.additionalProperties === false) errors.push(`${at}.${name}: not allowed`);
    else if (typeof schema.additionalProperties === 'object') errors.push(...schemaErrors(document, schema.additionalProperties, property, `${at}.${name}`));
  }
  return errors;
}
