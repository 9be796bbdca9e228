// The store: the only service that touches persistence. The backend (memory or file) is chosen in
// plexus.config.ts (services.kv.config) or by PLEXUS_SERVICES__KV__CONFIG__BACKEND; callers never know.
import { backendFromConfig, kvService } from '@plexus/kv'

export default (config: Record<string, unknown>) =>
  kvService({ backend: backendFromConfig(config, 'services.kv.config') })
