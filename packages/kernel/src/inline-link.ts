import type { MessageContext } from './context.js'
import { PlexusError } from './errors.js'
import type { HandlerSource } from './handler-table.js'
import type { InstanceLink, InstanceState } from './instance-link.js'
import type { HandleFn } from './interceptor.js'
import type { ServiceDefinition } from './service.js'

/**
 * The inline placement: the instance runs in the kernel's own process, and the kernel calls the
 * definition's functions directly (its handler table is built from `source`, so the link's own
 * invoke/deliver/open are never on the message path).
 */
export class InlineLink implements InstanceLink {
  readonly placement = 'inline'
  state: InstanceState = 'idle'
  /** The definition's own functions, as raw handlers. */
  readonly source: HandlerSource
  readonly #definition: ServiceDefinition

  constructor(
    readonly id: string,
    readonly node: string,
    definition: ServiceDefinition,
  ) {
    this.#definition = definition
    this.source = {
      action: (_name, spec) => spec.handler as HandleFn,
      event: (_pattern, spec) => spec.handler as HandleFn,
      stream: (kind, name, spec) =>
        (kind === 'stream' ? spec!.handler : definition.channels![name]) as HandleFn,
    }
  }

  invoke(action: string): unknown {
    throw this.#direct(action)
  }

  deliver(pattern: string): unknown {
    throw this.#direct(pattern)
  }

  open(_kind: 'stream' | 'channel', name: string): unknown {
    throw this.#direct(name)
  }

  async start(ctx: MessageContext): Promise<void> {
    this.state = 'starting'
    await this.#definition.started?.(ctx)
    this.state = 'running'
  }

  async stop(ctx: MessageContext): Promise<void> {
    this.state = 'stopped'
    await this.#definition.stopped?.(ctx)
  }

  #direct(name: string): PlexusError {
    return new PlexusError(
      'INVALID_STATE',
      `Inline instance '${this.id}' is called through its handler table, not its link ('${name}')`,
    )
  }
}
