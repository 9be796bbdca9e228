/** Floor for `process.send`: `{id,a,b}` in, `{id,r}` out, one IPC message each (JSON lines). */
process.on('message', (msg: { id: number; a: number; b: number }) => {
  process.send!({ id: msg.id, r: msg.a + msg.b })
})
process.on('disconnect', () => process.exit(0))
