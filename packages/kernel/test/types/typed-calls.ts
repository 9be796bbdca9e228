// Type tests: `npm run typecheck` compiles this file. Lines marked @ts-expect-error MUST fail to
// compile (tsc reports an unused directive otherwise); the other lines must compile.
import { createKernel, defineService } from '@plexus/kernel'

const math = defineService({
  name: 'math',
  version: 2,
  actions: {
    add: (_ctx, { a, b }: { a: number; b: number }) => a + b,
    hello: async (_ctx, name: string) => `hello ${name}`,
    now: () => Date.now(),
  },
  streams: {
    count: async function* (_ctx, { n }: { n: number }) {
      for (let i = 0; i < n; i++) yield i
    },
  },
})
const users = defineService({
  name: 'users',
  actions: { get: (_ctx, id: number) => ({ id, name: 'x' }) },
})

const kernel = createKernel().add(math).add(users)

export async function typedCalls(): Promise<void> {
  const sum: number = await kernel.call('math.add', { a: 1, b: 2 })
  const pinned: number = await kernel.call('math@2.add', { a: 1, b: 2 })
  const greeting: string = await kernel.call('math.hello', 'ada')
  const user: { id: number; name: string } = await kernel.call('users.get', 7)
  const time: number = await kernel.call('math.now')
  for await (const n of kernel.stream('math.count', { n: 3 })) {
    const item: number = n
    void item
  }
  void [sum, pinned, greeting, user, time]

  // @ts-expect-error unknown service
  await kernel.call('nope.add', { a: 1, b: 2 })
  // @ts-expect-error unknown action
  await kernel.call('math.sub', { a: 1, b: 2 })
  // @ts-expect-error wrong version pinned
  await kernel.call('math@1.add', { a: 1, b: 2 })
  // @ts-expect-error wrong input type
  await kernel.call('math.add', { a: '1', b: 2 })
  // @ts-expect-error missing input
  await kernel.call('math.add')
  // @ts-expect-error result is a number, not a string
  const wrong: string = await kernel.call('math.add', { a: 1, b: 2 })
  void wrong
  // @ts-expect-error unknown stream
  kernel.stream('math.nothing', {})
}

// An untyped kernel (no definitions known at compile time) accepts any address.
export async function untypedCalls(): Promise<unknown> {
  const open = createKernel()
  return open.call('anything.goes', { x: 1 })
}

// What a plug-in receives (`Kernel<any>`) also accepts any address.
export async function pluginCalls(k: import('@plexus/kernel').Kernel<any>): Promise<unknown> {
  k.send('any.thing', 1)
  return k.call('whatever.action', { x: 1 })
}

// ...and streams, with any input and any answer type.
export async function pluginStreams(k: import('@plexus/kernel').Kernel<any>): Promise<number> {
  const answer: number = (await k.call('x.y', 1)) as number
  for await (const item of k.stream('echo.count', { n: 100 })) void item
  return answer
}
