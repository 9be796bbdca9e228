// Entry point of the `plexus` command (bin/plexus.js runs it).
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv.slice(2))
// Handles a plug-in left open (a socket, a timer) must not keep a stopped kernel alive.
if (process.argv[2] === 'start' || process.argv[2] === 'dev') process.exit(process.exitCode)
