import type { StandardSchemaV1 } from '@plexus/kernel'

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>

interface WithJsonSchema {
  readonly '~standard': {
    readonly jsonSchema?: {
      readonly input: (options: { target: string }) => JsonSchema
      readonly output: (options: { target: string }) => JsonSchema
    }
  }
}

/**
 * The JSON Schema of a Standard Schema validator, where it can produce one: validators that
 * implement Standard JSON Schema (`~standard.jsonSchema`, zod 4.2+ among them) convert
 * themselves; others, and types JSON Schema cannot express, give undefined.
 */
export function toJsonSchema(
  schema: StandardSchemaV1 | undefined,
  io: 'input' | 'output',
): JsonSchema | undefined {
  const converter = (schema as WithJsonSchema | undefined)?.['~standard'].jsonSchema
  if (converter === undefined) return undefined
  try {
    // OpenAPI 3.1 speaks JSON Schema 2020-12.
    const { $schema: _dialect, ...json } = converter[io]({ target: 'draft-2020-12' })
    return json
  } catch {
    return undefined
  }
}
