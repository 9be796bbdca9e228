/** Options the gateway passes on each call it makes for a client. */
export interface GatewayCallOptions {
  deadline?: number
  meta?: Record<string, unknown>
  signal?: AbortSignal
}

/** The part of the kernel the gateway drives; `createKernel()` returns a superset. */
export interface GatewayKernel {
  /** Request/response through the kernel. */
  call(address: string, input?: unknown, options?: GatewayCallOptions): Promise<unknown>
  /** Request-stream through the kernel. */
  stream(address: string, input?: unknown, options?: GatewayCallOptions): AsyncIterable<unknown>
}
