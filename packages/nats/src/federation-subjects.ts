/**
 * Subjects of federation (docs/cluster.md, "Federation"). Everything that crosses between
 * clusters is under `plexus.<ns>.fed.<service>.`, with `<ns>` the *exporting* namespace, so a
 * leaf node or an account export can let exactly one service through: `out` is what the
 * exporting cluster publishes, `in` what importing clusters publish to it.
 */

/** The prefix of every subject of one exported service. */
export function federationPrefix(namespace: string, service: string): string {
  return `plexus.${namespace}.fed.${service}`
}

/** Exporting nodes announce the versions they serve here (empty: withdrawn). */
export function hereSubject(namespace: string, service: string): string {
  return `${federationPrefix(namespace, service)}.out.here`
}

/** Events of the exported service (topics `<service>.…`), one message per emit. */
export function eventSubject(namespace: string, service: string): string {
  return `${federationPrefix(namespace, service)}.out.evt`
}

/** An importing node asks the exporting nodes to announce themselves now. */
export function whoSubject(namespace: string, service: string): string {
  return `${federationPrefix(namespace, service)}.in.who`
}

/** A federation link message from peer `from` to peer `to`, in direction `dir`. */
export function federationLinkSubject(
  namespace: string,
  service: string,
  dir: 'in' | 'out',
  to: FederationPeer,
  from: FederationPeer,
): string {
  return `${federationPrefix(namespace, service)}.${dir}.link.${to.cluster}.${to.node}.${from.cluster}.${from.node}`
}

/** What peer `self` subscribes to for every federation link towards it, in direction `dir`. */
export function federationLinkInbox(
  namespace: string,
  service: string,
  dir: 'in' | 'out',
  self: FederationPeer,
): string {
  return `${federationPrefix(namespace, service)}.${dir}.link.${self.cluster}.${self.node}.*.*`
}

/** A node of some cluster: both are subject tokens. */
export interface FederationPeer {
  readonly cluster: string
  readonly node: string
}

/** Header naming the cluster an event was emitted in (an importer never re-exports it there). */
export const ORIGIN_HEADER = 'Plexus-Cluster'
