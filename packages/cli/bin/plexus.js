#!/usr/bin/env node
// Launcher for the `plexus` command. Inside the repository (sources present, tsx installed) it
// re-runs node with the flags that load TypeScript sources; an installed package runs dist/.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const built = new URL('../dist/main.js', import.meta.url)
const loaded = process.execArgv.join(' ') + ' ' + (process.env.NODE_OPTIONS ?? '')

let tsx
try {
  tsx = import.meta.resolve('tsx')
} catch {
  tsx = undefined
}

if (existsSync(source) && tsx !== undefined && !loaded.includes('tsx')) {
  const child = spawn(
    process.execPath,
    ['--conditions=plexus-source', '--import', tsx, source, ...process.argv.slice(2)],
    // Its own process group: a terminal's Ctrl-C reaches only this launcher, which passes it on
    // once (a second SIGINT would mean "exit without draining").
    { stdio: 'inherit', detached: true },
  )
  // The kernel process handles signals itself (drain, then stop); pass them on and wait.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGKILL' ? 137 : 1)
  })
} else if (existsSync(source) && loaded.includes('tsx')) {
  await import(pathToFileURL(source).href)
} else {
  await import(built.href)
}
