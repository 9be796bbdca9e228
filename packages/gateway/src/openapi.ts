import type { Kernel } from '@plexus/kernel'
import { toJsonSchema, type JsonSchema } from './json-schema.js'
import type { Route } from './route-table.js'
import type { SchemaCatalog } from './schema-catalog.js'

/** The generated API description. */
export interface OpenApiOptions {
  /** Path of the OpenAPI 3.1 document (default `/openapi.json`). */
  path?: string
  /** Path of the readable page, or `false` for none (default `/docs`). */
  page?: string | false
  /** `info.title` (default `Plexus API`). */
  title?: string
  /** `info.version` (default `0.0.0`). */
  version?: string
}

/** What the document is built from. */
export interface OpenApiSources {
  kernel: Kernel<any>
  routes: readonly Route[]
  catalog: SchemaCatalog
  validationStatus: number
  title: string
  version: string
}

const ERROR_REF = { $ref: '#/components/schemas/Error' }
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH'])

/**
 * The OpenAPI 3.1 document of the route table: one operation per alias, with the input and
 * output JSON Schema of the action it reaches where its validator can produce one. Built at
 * request time, so a hot-replaced version's schemas show at once.
 */
export function openApiDocument(sources: OpenApiSources): Record<string, unknown> {
  const current = new Map<string, number>()
  for (const s of sources.kernel.services()) if (s.current) current.set(s.name, s.version)
  const paths: Record<string, Record<string, unknown>> = {}
  const ids = new Set<string>()
  for (const route of sources.routes) {
    const [target, name = ''] = splitAddress(route.address)
    const [service = '', pinned] = target.split('@')
    const version = pinned === undefined ? current.get(service) : Number(pinned)
    const declared = version === undefined ? undefined : sources.catalog.get(service, version, name)
    const input = toJsonSchema(declared?.input, 'input')
    const output = toJsonSchema(declared?.output, 'output')
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!)
    const path = route.path.replace(/:(\w+)/g, '{$1}')
    const props = (input?.['properties'] ?? {}) as Record<string, JsonSchema>
    const required = new Set((input?.['required'] ?? []) as string[])
    const parameters: unknown[] = pathParams.map((p) => ({
      name: p,
      in: 'path',
      required: true,
      schema: props[p] ?? { type: 'string' },
    }))
    const hasBody = METHODS_WITH_BODY.has(route.method) && route.input.includes('body')
    if (!hasBody && route.input.includes('query')) {
      for (const [p, schema] of Object.entries(props)) {
        if (pathParams.includes(p)) continue
        parameters.push({ name: p, in: 'query', required: required.has(p), schema })
      }
    }
    let id = route.address
    for (let n = 2; ids.has(id); n++) id = `${route.address}_${n}`
    ids.add(id)
    const responses: Record<string, unknown> = {
      [String(route.status)]: success(route, output),
      ...(input === undefined
        ? {}
        : {
            [String(sources.validationStatus)]: {
              description: 'VALIDATION: the input does not match the schema',
              content: { 'application/json': { schema: ERROR_REF } },
            },
          }),
      default: {
        description: 'A typed Plexus error',
        content: { 'application/json': { schema: ERROR_REF } },
      },
    }
    const operation: Record<string, unknown> = {
      operationId: id,
      summary: `${route.kind === 'stream' ? 'Stream' : 'Action'} ${route.address}`,
      'x-plexus-address': route.address,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(hasBody
        ? {
            requestBody: {
              required: input !== undefined,
              content: { 'application/json': { schema: withoutKeys(input, pathParams) ?? {} } },
            },
          }
        : {}),
      responses,
    }
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation
  }
  return {
    openapi: '3.1.0',
    info: { title: sources.title, version: sources.version },
    paths,
    components: { schemas: { Error: ERROR_SCHEMA } },
  }
}

function success(route: Route, output: JsonSchema | undefined): unknown {
  if (route.kind === 'stream') {
    return {
      description: 'A stream of items: NDJSON, or server-sent events when asked for',
      content: { 'application/x-ndjson': {}, 'text/event-stream': {} },
    }
  }
  return {
    description: 'The answer of the action',
    content: { 'application/json': { schema: output ?? {} } },
  }
}

function splitAddress(address: string): [string, string | undefined] {
  const dot = address.lastIndexOf('.')
  return [address.slice(0, dot), address.slice(dot + 1)]
}

function withoutKeys(schema: JsonSchema | undefined, keys: string[]): JsonSchema | undefined {
  if (schema === undefined || keys.length === 0 || schema['properties'] === undefined) return schema
  const properties = { ...(schema['properties'] as Record<string, unknown>) }
  for (const key of keys) delete properties[key]
  const required = ((schema['required'] ?? []) as string[]).filter((k) => !keys.includes(k))
  return { ...schema, properties, required }
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A documented Plexus error code' },
        message: { type: 'string' },
        data: {},
      },
    },
  },
}
