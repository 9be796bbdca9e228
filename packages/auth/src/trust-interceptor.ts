import type { CallOptions, EmitOptions, Interceptor, Meta } from '@plexus/kernel'
import { isMinted, RESERVED_META_KEYS } from './principal.js'

/**
 * Keeps reserved meta keys trustworthy: on every outbound call, send, emit and stream, a
 * reserved key whose value the auth layer did not mint in this process is dropped from the
 * caller's meta before the kernel merges it. A principal inherited from the message being
 * handled is left alone (the kernel copies it from the parent context, not from options), so a
 * caller can pass its principal on but never write one.
 */
export function trustInterceptor(): Interceptor {
  return {
    name: 'auth-trust',
    call: (next) => (address, input, options, caller) =>
      next(address, input, scrubbed(options), caller),
    emit: (next) => (topic, payload, options, caller) =>
      next(topic, payload, scrubbed(options), caller),
    stream: (next) => (kind, address, input, options, caller) =>
      next(kind, address, input, scrubbed(options), caller),
  }
}

/** Options with every forged reserved key removed (the same object when there is none). */
export function scrubbed<O extends CallOptions | EmitOptions>(
  options: O | undefined,
): O | undefined {
  const meta = options?.meta
  if (meta === undefined) return options
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
