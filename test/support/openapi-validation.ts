/**
 * Validates values against the OpenAPI document's schemas with ajv, in the document's dialect: OpenAPI
 * 3.1's base dialect, JSON Schema 2020-12 with OpenAPI's own keywords (discriminator, xml, externalDocs,
 * example), in which `format` is an annotation a validator may also assert. This one asserts the formats
 * (ajv-formats), and runs in strict mode: a keyword it does not know is an error, not a schema half
 * checked.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonSchema, OpenApiDocument } from './openapi-document.js';

/** The dialect of an OpenAPI 3.1 document that names none. */
export const OPENAPI_BASE_DIALECT = 'https://spec.openapis.org/oas/3.1/dialect/base';

/** Where the document's component schemas are put for ajv: `#/components/schemas/X` becomes `…#/$defs/X`. */
const COMPONENTS_ID = 'https://babyjit.invalid/openapi/components';

export class OpenApiValidator {
  readonly #ajv = new Ajv2020({ strict: true, allErrors: true });
  readonly #compiled = new WeakMap<JsonSchema, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    const dialect = document.jsonSchemaDialect ?? OPENAPI_BASE_DIALECT;
    if (dialect !== OPENAPI_BASE_DIALECT)
      throw new Error(`a dialect this validator does not know: ${dialect}`);
    addFormats.default(this.#ajv);
    this.#ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
    this.#ajv.addSchema({ $id: COMPONENTS_ID, $defs: withComponentRefs(document.components.schemas ?? {}) });
  }

  /** The problems ajv finds with `value` against `schema`, one a line; '' if none. */
  problems(schema: JsonSchema, value: unknown): string {
    let validate = this.#compiled.get(schema);
    if (validate === undefined) {
      validate = this.#ajv.compile(withComponentRefs(schema) as JsonSchema);
      this.#compiled.set(schema, validate);
    }
    if (validate(value)) return '';
    return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`).join('\n');
  }
}

/** `value` with every `$ref` into the document's components pointed at where the validator keeps them. */
function withComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withComponentRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => {
      if (key !== '$ref') return [key, withComponentRefs(inner)];
      const name = /^#\/components\/schemas\/([^/]+)$/.exec(String(inner))?.[1];
      if (name === undefined) throw new Error(`a $ref this validator does not follow: ${String(inner)}`);
      return [key, `${COMPONENTS_ID}#/$defs/${name}`];
    }),
  );
}
