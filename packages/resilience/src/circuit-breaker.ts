import { PlexusError, type Interceptor, type Kernel } from '@plexus/kernel'

/** Circuit breaker settings. */
export interface CircuitBreakerOptions {
  /** Consecutive faults (HANDLER, UNAVAILABLE, TIMEOUT) that open the circuit (default 5). */
  threshold?: number
  /** How long an open circuit refuses calls before one probe is let through, ms (default 10 000). */
  cooldown?: number
}

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2

class Circuit {
  state = CLOSED
  faults = 0
  reopenAt = 0
  constructor(readonly service: string) {}
}

/** True for errors that say the target is unhealthy rather than that the request was refused. */
export function isFault(error: unknown): boolean {
  if (!(error instanceof PlexusError)) return true
  return error.code === 'HANDLER' || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT'
}

/**
 * A circuit breaker per target service on the outbound call path: after `threshold` faults in
 * a row the circuit opens and calls fail at once with CIRCUIT_OPEN (nothing queued); after the
 * cooldown exactly one probe goes through — its success closes the circuit, its failure opens
 * it again.
 */
export function circuitBreaker(
  kernel: Kernel<any>,
  options: CircuitBreakerOptions = {},
): Interceptor {
  const threshold = options.threshold ?? 5
  const cooldown = options.cooldown ?? 10_000
  const circuits = new Map<string, Circuit>()
  const circuitOf = (address: string): Circuit => {
    let circuit = circuits.get(address)
    if (circuit === undefined) {
      const service = /^[^.@]*/.exec(address)![0]
      circuit = [...circuits.values()].find((c) => c.service === service) ?? new Circuit(service)
      if (circuits.size < 10_000) circuits.set(address, circuit)
    }
    return circuit
  }
  const refuse = (circuit: Circuit) =>
    Promise.reject(
      new PlexusError('CIRCUIT_OPEN', `Circuit to '${circuit.service}' is open`, {
        data: { service: circuit.service },
      }),
    )

  return {
    name: 'circuit-breaker',
    call: (next) => (address, input, callOptions, caller) => {
      const circuit = circuitOf(address)
      if (circuit.state !== CLOSED) {
        if (circuit.state === HALF_OPEN || kernel.now() < circuit.reopenAt) return refuse(circuit)
        circuit.state = HALF_OPEN
      }
      return next(address, input, callOptions, caller).then(
        (value) => {
          circuit.faults = 0
          circuit.state = CLOSED
          return value
        },
        (error: unknown) => {
          if (!isFault(error)) {
            circuit.faults = 0
            if (circuit.state === HALF_OPEN) circuit.state = CLOSED
          } else if (circuit.state === HALF_OPEN || ++circuit.faults >= threshold) {
            circuit.state = OPEN
            circuit.reopenAt = kernel.now() + cooldown
          }
          throw error
        },
      )
    },
  }
}
