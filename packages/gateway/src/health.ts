import type { Kernel } from '@plexus/kernel'

/** Health probes on the gateway (Kubernetes conventions). */
export interface HealthOptions {
  /** Liveness path: 200 while the process serves HTTP at all (default `/healthz`). */
  live?: string
  /** Readiness path: 200 only while every service runs and nothing drains (default `/readyz`). */
  ready?: string
}

/** The readiness verdict and, when not ready, why. */
export interface Readiness {
  ready: boolean
  reasons: string[]
}

/**
 * Ready means: the kernel runs, the gateway is not draining, no plug-in's readiness check objects
 * (`kernel.readinessCheck`), and every registered service has a running current version with at
 * least one running instance. Anything else is a reason a load balancer should send its traffic
 * elsewhere.
 */
export function readiness(kernel: Kernel<any>, draining: boolean): Readiness {
  const reasons: string[] = []
  if (draining) reasons.push('the gateway is draining')
  if (kernel.state !== 'running') reasons.push(`the kernel is ${kernel.state}`)
  // Plug-ins' own checks (e.g. the cluster's NATS connection).
  reasons.push(...kernel.unready())
  const byName = new Map<string, boolean>()
  for (const s of kernel.services()) {
    const serving =
      s.current && s.state === 'running' && s.instances.some((i) => i.state === 'running')
    byName.set(s.name, (byName.get(s.name) ?? false) || serving)
  }
  for (const [name, serving] of byName) {
    if (!serving) reasons.push(`service '${name}' has no running instance`)
  }
  return { ready: reasons.length === 0, reasons }
}
