/** Manifests as a HELLO carries them: the kernel's own manifest types (one definition). */
export type { ActionManifest, EventManifest, ServiceManifest } from '@plexus/kernel'
