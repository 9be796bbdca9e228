/**
 * @plexus/auth — who is calling and what they may call: JWT verification (static keys or a
 * JWKS URL), a trusted principal in `ctx.meta['plexus.principal']`, and per-action policies
 * enforced where the handler runs.
 *
 * @example
 * import { auth, principalOf } from '@plexus/auth'
 * const kernel = createKernel({ plugins: [auth({ policies: { 'orders.create': { roles: ['customer'] } } })] })
 */

/** JWT verification. */
export {
  createVerifier,
  unverifiedClaims,
  type KeySource,
  type Verifier,
  type VerifierOptions,
} from './verifier.js'
/** A verified token's cache entry, current until it expires or the cache is cleared. */
export { CachedToken } from './token-cache.js'
/** The verified principal and the reserved meta key it travels under. */
export {
  PRINCIPAL_KEY,
  RESERVED_META_KEYS,
  principalOf,
  principalIn,
  isMinted,
  type Principal,
} from './principal.js'
/** Re-trusting the principal a proven cluster peer asserts. */
export { type PeerTrust } from './peer-trust.js'
/** Why a token was refused. */
export { type AuthFailureReason } from './failure.js'
/** Keeping reserved meta keys trustworthy. */
export { trustInterceptor, withoutReserved } from './trust-interceptor.js'
/** Per-action policies and their decisions. */
export {
  decide,
  ruleFor,
  isInternal,
  type Decision,
  type NamedRule,
  type Policies,
  type Rule,
  type Verb,
} from './policy.js'
/** Policies enforced where handlers run. */
export { aclInterceptor } from './acl-interceptor.js'
/** Dev key pairs and the tokens they sign (development only). */
export { devKeys, DEV_ALGORITHM, DEV_ISSUER, type DevKeys, type DevClaims } from './dev-keys.js'
/** Rules compiled once into checks. */
export { compileRule, type RuleCheck } from './rule-check.js'
/** The auth plug-in. */
export { auth, type AuthOptions, type AuthPlugin } from './plugin.js'
