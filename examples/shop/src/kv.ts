// The store: the only service that touches persistence. The backend (memory, file, or a store
// shared by several kernels: redis, nats) is chosen in plexus.config.ts (services.kv.config) or
// by PLEXUS_SERVICES__KV__CONFIG__BACKEND; callers never know.
import { kvService, kvStoreFromConfig } from '@plexus/kv'

export default (config: Record<string, unknown>) =>
  kvService(kvStoreFromConfig(config, 'services.kv.config'))
