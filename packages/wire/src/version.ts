/** The protocol version this package writes: the first byte of every frame body. */
export const PROTOCOL_VERSION = 1

/** Every version this package can read and negotiate. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([PROTOCOL_VERSION])
