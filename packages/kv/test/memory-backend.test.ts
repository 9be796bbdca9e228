import { memoryBackend } from '@plexus/kv'
import { kvConformance } from './conformance.js'

kvConformance('memory', {
  make: async () => ({ backend: memoryBackend(), reopen: () => memoryBackend() }),
  persistent: 'the memory backend keeps entries only for the life of the process, by design',
})
