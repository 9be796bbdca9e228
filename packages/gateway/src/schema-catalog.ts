import type { HandlerInfo, Interceptor, StandardSchemaV1 } from '@plexus/kernel'

/** The schemas one handler declared. */
export interface DeclaredSchemas {
  readonly kind: HandlerInfo['kind']
  readonly input: StandardSchemaV1 | undefined
  readonly output: StandardSchemaV1 | undefined
}

/**
 * Learns each handler's declared schemas through the kernel's public seam: a `handle` hook sees
 * every handler once when it is compiled (adding it recompiles those already running) and
 * returns it unchanged, so the message path pays nothing.
 */
export class SchemaCatalog {
  readonly #byHandler = new Map<string, DeclaredSchemas>()

  /** The interceptor to add to the kernel. */
  interceptor(name: string): Interceptor {
    return {
      name,
      handle: (next, info) => {
        this.#byHandler.set(`${info.service}@${info.version}.${info.name}`, {
          kind: info.kind,
          input: info.input,
          output: info.output,
        })
        return next
      },
    }
  }

  /** The schemas of `service@version.name`, when its handler was compiled. */
  get(service: string, version: number, name: string): DeclaredSchemas | undefined {
    return this.#byHandler.get(`${service}@${version}.${name}`)
  }
}
