import { WebSocket } from 'ws'

/** A test WebSocket client that records every frame and can wait for one. */
export class TestClient {
  readonly socket: WebSocket
  readonly frames: any[] = []
  closed: { code: number; reason: string } | undefined
  #waiters: Array<() => void> = []

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data) => {
      this.frames.push(JSON.parse((data as Buffer).toString('utf8')))
      this.#wake()
    })
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) }
      this.#wake()
    })
    socket.on('error', () => {})
  }

  /** Connects and waits for the socket to open. */
  static async connect(
    url: string,
    options: { headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const socket = new WebSocket(url, { headers: options.headers ?? {} })
    const client = new TestClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return client
  }

  /** Sends one JSON frame. */
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Waits until `check` holds over the recorded frames (or throws after `ms`). */
  async until<T>(check: (frames: any[]) => T | undefined | false, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms
    for (;;) {
      const hit = check(this.frames)
      if (hit !== undefined && hit !== false) return hit
      if (Date.now() > deadline)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 500)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** The first frame answering request `id` of the given type. */
  answer(id: string | number, type?: string): Promise<any> {
    return this.until((f) => f.find((x) => x.id === id && (type === undefined || x.type === type)))
  }

  /** Waits for the close and returns its code. */
  async closedWith(ms = 5000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, ms)
  }

  /** Closes the socket. */
  close(): void {
    this.socket.terminate()
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
