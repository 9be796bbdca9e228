import { definePlugin, type Kernel, type Plugin } from '@plexus/kernel'
import { aclInterceptor } from './acl-interceptor.js'
import { peerTrust, type PeerTrust } from './peer-trust.js'
import { assertPolicies, type Policies } from './policy.js'
import { trustInterceptor } from './trust-interceptor.js'
import { createVerifier, type Verifier, type VerifierOptions } from './verifier.js'

/** What the auth plug-in is told. */
export interface AuthOptions {
  /** Token verification (options or a built verifier); the gateway reads it from the plug-in. */
  readonly verifier?: VerifierOptions | Verifier
  /** Per-action policies; once any exists, whatever no rule allows is denied. */
  readonly policies?: Policies
}

/**
 * The auth plug-in; `verifier` is the one the gateway and other edges verify with, `peers` what
 * a proven cluster link re-trusts a peer's principal with (`nats({ trust: security.peers })`).
 */
export type AuthPlugin = Plugin<Kernel<any>> & {
  readonly verifier: Verifier | undefined
  readonly peers: PeerTrust
}

/**
 * Trusted identity and authorization for a kernel: strips forged principals from every
 * outbound call, emit and stream, and enforces `policies` where handlers run.
 * @example
 * const security = auth({ verifier: { jwksUrl, algorithms: ['RS256'], issuer, audience: 'shop' }, policies: { actions: { 'orders.create': { roles: ['customer'] } } } })
 * const kernel = createKernel({ plugins: [security, gateway({ auth: { verifier: security.verifier } })] })
 */
export function auth(options: AuthOptions = {}): AuthPlugin {
  const verifier =
    options.verifier === undefined
      ? undefined
      : 'verify' in options.verifier
        ? options.verifier
        : createVerifier(options.verifier)
  const policies = options.policies
  if (policies !== undefined) assertPolicies(policies)
  const plugin = definePlugin<Kernel<any>>({
    name: 'auth',
    setup(kernel) {
      kernel.intercept(trustInterceptor())
      const hasRules =
        policies !== undefined &&
        Object.values(policies).some((t) => Object.keys(t ?? {}).length > 0)
      if (hasRules) kernel.intercept(aclInterceptor(policies))
    },
  })
  return Object.assign(plugin, { verifier, peers: peerTrust() })
}
