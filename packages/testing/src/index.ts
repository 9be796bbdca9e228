/**
 * @plexus/testing — what the repo's tests share: the plexus CLI run as a user runs it, polling
 * for a condition, small async helpers, a heap reading for leak checks, a private redis-server or
 * nats-server per test, a headless Chromium page, skips for absent components, and the
 * small/full scale of the reliability tests. Tests only; never a runtime dependency.
 */
export { until, type UntilOptions } from './until.js'
export { rejectionOf, sleep } from './async.js'
export { heapAfterGc } from './heap.js'
export {
  PLEXUS_BIN,
  runPlexus,
  startPlexus,
  userEnv,
  type CommandResult,
  type PlexusOptions,
  type RunningPlexus,
} from './plexus-cli.js'
export { CHROMIUM, chromiumSkip, openChromium } from './chromium.js'
export { currentScale, GATE_PREFIX, reportGates, scale, type Scale } from './scale.js'
export { binarySkip, findBinary, requireBinary, servicesRequired } from './services.js'
export { openDashboard, type OpenDashboard } from './dashboard.js'
/** A private server binary per test (redis-server, nats-server) on a free loopback port. */
export {
  accepts,
  freePort,
  serverSkip,
  startLocalServer,
  startNatsServer,
  startRedisServer,
  type LocalServer,
} from './local-server.js'
/** A private cluster of nats-servers (routes, clustered JetStream) per test. */
export { startNatsCluster, type LocalNatsCluster } from './nats-cluster.js'
/** A private nats-server from a configuration file (accounts, leaf nodes), with its monitoring port. */
export { startNatsWithConfig, type ConfiguredNats, type NatsConfigPorts } from './nats-config.js'
/** Two private clusters (hub and leaf nats-servers, one JetStream domain each) joined by a leaf node. */
export { CLUSTER_PRIVATE_SUBJECTS, startLeafClusters, type NatsLeafClusters } from './nats-leaf.js'
