import { SessionInstance, type Session } from '@plexus/wire'

/**
 * The link to one service a remote host serves: messages become REQUESTs on the host's session
 * (see SessionInstance). It goes when the link does.
 */
export class HostInstance extends SessionInstance {
  constructor(
    id: string,
    node: string,
    service: string,
    session: Session,
    readonly hostRefused: () => number,
  ) {
    super(id, node, 'remote', session, service)
  }

  /** Envelopes refused on the host's link (shared by every service it serves). */
  get refused(): number {
    return this.hostRefused()
  }
}
