import { memoryBackend } from '@plexus/kv'
import { kvConformance } from './conformance.js'

kvConformance('memory backend', {
  make: async () => ({
    source: { backend: memoryBackend() },
    again: () => ({ backend: memoryBackend() }),
  }),
  persistent: 'the memory backend keeps entries only for the life of the process, by design',
  shared: false,
  ttl: true,
})
