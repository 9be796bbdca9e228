import { createKernel, defineService, silentLogger, type KernelOptions } from '@plexus/kernel'
import { installIsolation, type IsolationSettings } from '@plexus/isolate'
import { sleep } from '@plexus/testing'

export { heapAfterGc, rejectionOf, sleep } from '@plexus/testing'

/** A kernel with a silent logger and the isolation placements installed. */
export function isolatedKernel(options: KernelOptions = {}, defaults: IsolationSettings = {}) {
  return installIsolation(createKernel({ logger: silentLogger, ...options }), defaults)
}

/** The URL of a fixture service module. */
export const fixture = (name: string): string =>
  new URL(`./fixtures/${name}.ts`, import.meta.url).href

/** Polls `check` every 10 ms until it is true or `ms` passes; returns the last result. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000) {
  const until = performance.now() + ms
  for (;;) {
    if (await check()) return true
    if (performance.now() > until) return false
    await sleep(10)
  }
}

/** An inline service the isolated ones call back into through the kernel. */
export function otherService(received: unknown[]) {
  return defineService({
    name: 'other',
    actions: {
      hello: (ctx) => `hi ${ctx.caller}`,
      sleep: async (ctx, { ms }: { ms: number }) => {
        await new Promise((resolve) => setTimeout(resolve, ms))
        return 'slept'
      },
      meta: (ctx) => ctx.meta,
    },
    events: {
      'pong.*': (ctx, payload) => {
        received.push({ topic: ctx.topic, payload, caller: ctx.caller })
      },
    },
    streams: {
      count: async function* (ctx, { n }: { n: number }) {
        for (let i = 0; i < n; i++) yield i
      },
    },
  })
}
