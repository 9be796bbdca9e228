/** Subjects and resources of a namespace (docs/cluster.md lists them). */

/** The registry bucket: one key per node, holding its manifest. */
export function nodeBucket(namespace: string): string {
  return `plexus_${namespace}_nodes`
}

/** Where node `from` publishes the wire messages of its link to node `to`. */
export function linkSubject(namespace: string, to: string, from: string): string {
  return `plexus.${namespace}.link.${to}.${from}`
}

/** What a node subscribes to for every link towards it (the last token names the sender). */
export function linkInbox(namespace: string, self: string): string {
  return `plexus.${namespace}.link.${self}.*`
}

/** Request/reply probe of a node id: a live holder answers with its instance. */
export function pingSubject(namespace: string, node: string): string {
  return `plexus.${namespace}.ping.${node}`
}

/**
 * Headers every federation link message carries: the sender's link, the receiver's link, the
 * sequence (and MAC). A node link carries the same fields in its payload's head (link-message.ts).
 */
export const LINK_HEADERS = {
  from: 'Plexus-From',
  to: 'Plexus-To',
  seq: 'Plexus-Seq',
  /** With link security: HMAC-SHA256 of the sequence number and body (docs/protocol.md §5.3). */
  mac: 'Plexus-Mac',
} as const
