import type {
  CallOptions,
  Context,
  EmitOptions,
  Interceptor,
  MessageContext,
  Meta,
} from '@plexus/kernel'
import { isMinted, PRINCIPAL_KEY, RESERVED_META_KEYS } from './principal.js'

// True while the principal is the only reserved key, so the check reads it without a loop.
const SINGLE = RESERVED_META_KEYS.length === 1 && RESERVED_META_KEYS[0] === PRINCIPAL_KEY

/**
 * Keeps reserved meta keys trustworthy: on every outbound call, send, emit and stream, a
 * reserved key whose value the auth layer did not mint in this process is dropped from the
 * caller's meta before the kernel merges it. A principal inherited from the message being
 * handled is passed on (the kernel copies it from the parent context), but only a minted one
 * (or, for an event from a cluster peer, the copy it was delivered with): a handler that writes
 * another into its own `ctx.meta` sends none onward. So a caller can pass its principal on but
 * never write one.
 */
export function trustInterceptor(): Interceptor {
  // A non-minted principal an event handler entered with (delivered from a cluster peer):
  // the one value its onward messages may inherit besides minted ones.
  const entered = new WeakMap<object, unknown>()
  const guard = <O extends CallOptions | EmitOptions>(
    options: O | undefined,
    caller: MessageContext | undefined,
  ): O | undefined => {
    // A call without meta from outside any handler (the common case at the edge): one test.
    const own = options === undefined || options.meta === undefined ? options : scrubbed(options)
    return caller === undefined ? own : inheritedOnly(own, caller, entered)
  }
  return {
    name: 'auth-trust',
    call: (next) => (address, input, options, caller) =>
      next(address, input, guard(options, caller), caller),
    emit: (next) => (topic, payload, options, caller) =>
      next(topic, payload, guard(options, caller), caller),
    stream: (next) => (kind, address, input, options, caller) =>
      next(kind, address, input, guard(options, caller), caller),
    // Calls and streams reach handlers through the call path above, so their contexts hold
    // minted principals only; events from peers are dispatched with the peer's plain copy.
    handle: (next, info) =>
      info.kind !== 'event'
        ? next
        : (ctx, payload) => {
            const meta = metaOf(ctx)
            const value = meta?.[PRINCIPAL_KEY]
            if (value !== undefined && !isMinted(value)) entered.set(ctx, value)
            return next(ctx, payload)
          },
  }
}

// The caller's inherited principal, unless its handler wrote it: then none (or the peer's copy).
function inheritedOnly<O extends CallOptions | EmitOptions>(
  own: O | undefined,
  caller: MessageContext,
  entered: WeakMap<object, unknown>,
): O | undefined {
  const inherited = caller.peekMeta()
  if (inherited === undefined) return own
  const value = inherited[PRINCIPAL_KEY]
  if (value === undefined || isMinted(value)) return own
  const ownMeta = own?.meta
  // A minted principal given explicitly wins the kernel's merge anyway.
  if (ownMeta !== undefined && ownMeta[PRINCIPAL_KEY] !== undefined) return own
  const original = entered.get(caller)
  if (original === value) return own
  return { ...own, meta: { ...ownMeta, [PRINCIPAL_KEY]: original } } as unknown as O
}

function metaOf(ctx: Context): Meta | undefined {
  const message = ctx as Partial<MessageContext> & Context
  return typeof message.peekMeta === 'function' ? message.peekMeta() : ctx.meta
}

/** Options with every forged reserved key removed (the same object when there is none). */
export function scrubbed<O extends CallOptions | EmitOptions>(
  options: O | undefined,
): O | undefined {
  const meta = options?.meta
  if (meta === undefined) return options
  // The one reserved key today, read directly: a minted principal costs one WeakSet lookup.
  if (SINGLE) {
    const value = meta[PRINCIPAL_KEY]
    if (value === undefined ? !(PRINCIPAL_KEY in meta) : isMinted(value)) return options
  }
  let clean: Meta | undefined
  for (const key of RESERVED_META_KEYS) {
    if (!(key in meta) || isMinted(meta[key])) continue
    clean ??= { ...meta }
    delete clean[key]
  }
  return clean === undefined ? options : ({ ...options, meta: clean } as O)
}

/** External input (a gateway frame, a header map) without any reserved key, minted or not. */
export function withoutReserved(meta: Meta): Meta {
  let clean: Meta | undefined
  for (const key of RESERVED_META_KEYS) {
    if (!(key in meta)) continue
    clean ??= { ...meta }
    delete clean[key]
  }
  return clean ?? meta
}
