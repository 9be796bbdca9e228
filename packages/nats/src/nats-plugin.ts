import {
  connect,
  nuid,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node'
import { PlexusError, type Kernel, type Plugin } from '@plexus/kernel'
import { DEFAULT_LIMITS } from '@plexus/wire'
import { LocalManifests } from './local-manifests.js'
import { resolveNatsOptions, type NatsOptions } from './nats-options.js'
import { NodeCluster, type ClusterView } from './node-cluster.js'
import { NodeDirectory } from './node-directory.js'
import { joined } from './node-join.js'
import { connectionOptionsOf } from './node-connection.js'
import { NodeKeys, type NodeKeyOptions } from './node-keys.js'
import { linkInbox } from './subjects.js'
import { MicroFacade, type MicroView } from './micro-facade.js'
import { EventFlow, type EventFlowFigures } from './event-flow.js'
import { Federation, type FederationView } from './federation.js'

/** Room left in a NATS message for a link message's head (or a federation link's headers) and the protocol line. */
const HEADER_ROOM = 4096
/** Messages held while the node id is being claimed (a handful of HELLOs and PINGs). */
const EARLY_LIMIT = 1000

/** The nats plug-in, with a view of the cluster once the kernel started. */
export interface NatsPlugin extends Plugin<Kernel<any>> {
  /** This node's id and process instance, once set up. */
  readonly self: { node: string; instance: string } | undefined
  /** Links and refusals, once set up. */
  readonly cluster: ClusterView | undefined
  /** The NATS micro facade, when `micro` is on and the kernel started. */
  readonly micro: MicroView | undefined
  /** Plain events sent to peers: sent, handled, dropped (by reason), in flight (T15). */
  plainEvents(): EventFlowFigures | undefined
  /** Federation with other clusters, when `federation` is set and the kernel started. */
  readonly federation: FederationView | undefined
  /**
   * Rotates this node's identity and/or trusted keys (link security on): links opened from now
   * on use them; links already proven keep serving (docs/security.md, rotation).
   */
  rotate(keys: NodeKeyOptions): void
}

/**
 * Joins the kernel to a cluster of kernels over NATS: its services are announced in the
 * namespace's registry bucket (`plexus_<ns>_nodes`), every other node's are attached and
 * routed like local ones (placement `node`), over one wire session per node pair. A live node
 * already holding the id refuses the start (INVALID_CONFIG, `reason: 'duplicate-node'`).
 *
 * @example
 * const kernel = createKernel({
 *   node: 'a',
 *   plugins: [nats({ servers: 'nats://127.0.0.1:4222', namespace: 'shop' })],
 * })
 */
export function nats(options: NatsOptions): NatsPlugin {
  const keys = NodeKeys.of(options)
  if (options.trust !== undefined && keys === undefined) {
    throw new PlexusError(
      'INVALID_CONFIG',
      'nats.trust needs link security (identity and trustedKeys): an unproven peer could assert any principal',
      { data: { key: 'nats.trust' } },
    )
  }
  const connection = connectionOptionsOf(options)
  let self: { node: string; instance: string } | undefined
  let cluster: NodeCluster | undefined
  let micro: MicroFacade | undefined
  let events: EventFlow | undefined
  let federation: Federation | undefined
  return {
    name: 'nats',
    get self() {
      return self
    },
    get cluster() {
      return cluster
    },
    get micro() {
      return micro
    },
    plainEvents: () => events?.figures(),
    get federation() {
      return federation
    },
    rotate(next) {
      if (keys === undefined) {
        throw new PlexusError(
          'INVALID_STATE',
          'nats: link security is off (no identity and trustedKeys)',
        )
      }
      keys.rotate(next)
    },
    async setup(kernel) {
      const settings = resolveNatsOptions(options, kernel.node)
      const logger = kernel.config.logger.child({ plugin: 'nats', node: settings.node })
      const local = new LocalManifests(settings.broadcast)
      const nc = await connectTo(settings.servers, settings.node, connection)
      const instance = nuid.next()
      let directory: NodeDirectory
      try {
        directory = await NodeDirectory.open(
          nc,
          settings.namespace,
          settings.node,
          settings.registryTtl,
          logger,
          settings.registryReplicas,
        )
      } catch (error) {
        await nc.close()
        throw unavailable('the node registry could not be opened (is JetStream on?)', error)
      }
      const flow = new EventFlow(kernel.bus, settings.maxEventsInFlight)
      events = flow
      // A link is a byte stream cut into NATS messages: a frame may span several of them.
      const segmentSize = nc.info!.max_payload - HEADER_ROOM
      const maxFrameSize = DEFAULT_LIMITS.maxFrameSize
      const view = new NodeCluster(
        {
          kernel,
          nc,
          settings,
          instance,
          local,
          logger,
          maxFrameSize,
          segmentSize,
          keys,
          trust: options.trust,
          refused: () => {},
          events: flow,
        },
        (node, gone) => void directory.forget(node, gone),
      )
      const federated =
        settings.federation === undefined
          ? undefined
          : new Federation(
              {
                kernel,
                nc,
                settings,
                self: { cluster: settings.federation.cluster, node: settings.node },
                instance,
                local,
                logger,
                maxFrameSize,
              },
              settings.federation,
            )
      if (federated !== undefined) kernel.intercept(federated.interceptor)
      // Peers may write the moment our entry is visible, before `claim` returns: hold their
      // messages until the id is ours (a refused duplicate must never answer for the holder).
      let early: Msg[] | undefined = []
      const inbox = nc.subscribe(linkInbox(settings.namespace, settings.node), {
        callback: (error, msg) => {
          if (error !== null) return
          if (early === undefined) view.inbound(msg)
          else if (early.length < EARLY_LIMIT) early.push(msg)
        },
      })
      try {
        await nc.flush()
        await directory.claim({ instance, services: local.read(kernel) }, settings.probeTimeout)
        const held = early
        early = undefined
        for (const msg of held) view.inbound(msg)
        const present = await directory.peers()
        await directory.watch({
          put: (node, record) => view.put(node, record),
          gone: (node) => view.gone(node),
        })
        await joined(view, present, settings.joinTimeout, logger)
      } catch (error) {
        inbox.unsubscribe()
        await nc.close()
        throw error
      }
      self = { node: settings.node, instance }
      cluster = view
      // A node cut off from NATS cannot judge its peers: the view holds their services
      // meanwhile; and it is not ready for traffic until it is back.
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect') view.connection(false)
          else if (status.type === 'reconnect') view.connection(true)
        }
      })().catch((error: unknown) => logger.debug({ err: error }, 'NATS status watch ended'))
      const removeReadiness = kernel.readinessCheck(() =>
        view.connected ? undefined : `the cluster's NATS connection is down (reconnecting)`,
      )
      let refreshedAt = Date.now()
      const refresh = setInterval(() => {
        const force = Date.now() - refreshedAt > settings.registryTtl / 3
        if (force) refreshedAt = Date.now()
        directory
          .publish({ instance, services: local.read(kernel) }, force)
          .catch((error: unknown) => logger.warn({ err: error }, 'Node registry entry not written'))
      }, settings.refreshInterval)
      refresh.unref()
      // A graceful stop withdraws first: every peer stops routing here before the kernel
      // refuses new calls, so it drains only what peers had already sent (T11).
      const removeDrain = kernel.beforeStop(async () => {
        clearInterval(refresh)
        federated?.withdraw()
        // Peers may be slow to apply the entry on a loaded machine: wait up to the drain
        // timeout (the kernel bounds the hook by it too), not the short probe timeout.
        const wait = Math.max(settings.probeTimeout, kernel.config.drainTimeout - 100)
        const peers = await directory.withdraw({ instance, services: [] }, wait)
        logger.info({ peers }, 'Withdrawn from the cluster; draining')
      })
      // The micro facade (opt-in), started once the node joined; stopped first in the teardown.
      if (settings.micro !== false) {
        micro = new MicroFacade(
          { kernel, nc, logger, ...settings, maxInput: settings.micro.maxInput },
          settings.micro.only,
        )
        micro.start(settings.refreshInterval)
      }
      if (federated !== undefined) {
        federated.start(settings.refreshInterval)
        federation = federated
      }
      logger.info(
        { namespace: settings.namespace, window: settings.livenessWindow },
        'Joined the cluster',
      )
      return async () => {
        micro?.stop()
        removeDrain()
        removeReadiness()
        clearInterval(refresh)
        // The last answers may still sit in the links' writers (flushed at the end of the tick):
        // let them out and onto the server before the entry goes, or a peer that sees the entry
        // deleted first fails the calls it still waits for as 'left' (a busy-core T11 run did).
        await new Promise((resolve) => setImmediate(resolve))
        await nc.flush().catch(() => {})
        try {
          await directory.stop(true)
        } catch (error) {
          logger.warn({ err: error }, 'Node registry entry not deleted (it expires by TTL)')
        }
        const stopping = new PlexusError('UNAVAILABLE', `Node '${settings.node}' is stopping`, {
          retryable: true,
          data: { node: settings.node, reason: 'stopping' },
        })
        federated?.stop(stopping)
        view.stop(stopping)
        inbox.unsubscribe()
        events?.stop()
        await nc.drain().catch(() => nc.close())
      }
    },
  } satisfies NatsPlugin
}

async function connectTo(
  servers: string[],
  node: string,
  credentials: Partial<ConnectionOptions>,
): Promise<NatsConnection> {
  try {
    return await connect({
      ...credentials,
      servers,
      name: `plexus-${node}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 250,
    })
  } catch (error) {
    throw unavailable(`cannot connect to ${servers.join(', ')}`, error)
  }
}

function unavailable(what: string, cause: unknown): PlexusError {
  return new PlexusError('UNAVAILABLE', `nats: ${what}: ${(cause as Error).message}`, {
    retryable: true,
    cause,
    data: { reason: 'nats' },
  })
}
