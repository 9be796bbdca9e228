/** Help text per command; `plexus help <command>` and `<command> --help` print it. */
export const HELP: Record<string, string> = {
  plexus: `plexus — run and operate a Plexus kernel

Usage: plexus <command> [arguments] [options]

Commands:
  start [config]                 run a kernel from a config file (default: plexus.config.ts|js|json|yaml)
  dev [config]                   start, and hot-replace a service when its file changes
  call <service.action> [json]   call an action on the running kernel and print the answer
  emit <topic> [json]            publish an event on the running kernel
  services (ls)                  services, versions, instances, placement, state, restarts
  top                            live per-instance figures, refreshed every second
  replace <service> [file]       hot replace a service on the running kernel
  host <module> --connect <url>  serve a service module to a kernel that listens for hosts
  token [config]                 print a development token signed with the config's auth.dev keys
  help [command]                 help for a command

Options:
  --json                  machine-readable output
  --admin-dir <dir>       where the running kernel's admin.json is (default .plexus; env PLEXUS_ADMIN__DIR)
  --token <jwt>           call, emit, services, top, replace: an operator's token instead of the
                          admin token of the run file (env PLEXUS_TOKEN; needs the auth section)
  --no-color              plain output (also NO_COLOR=1; colours are off when piped)
  -h, --help              this help
  -v, --version           the CLI's version

Configuration: every key can be overridden by environment variables,
PLEXUS_<KEY>__<KEY>=value (e.g. PLEXUS_SERVICES__ORDERS__INSTANCES=4), PORT for the gateway port.
See docs/configuration.md and docs/cli.md.`,
  start: `Usage: plexus start [config] [--json]

Runs a kernel from a config file (default: the first of plexus.config.ts, .mts, .js, .mjs,
.json, .yaml, .yml in the current directory). Logs are structured (pino) JSON lines on stdout,
pretty on a terminal (--json forces JSON lines). SIGTERM or SIGINT drains in-flight work and
stops gracefully; a second signal exits at once.

A wrong configuration fails at start, naming the key, the value seen and what was expected
(exit code 2).`,
  dev: `Usage: plexus dev [config]

Like start, and watches each service's module file: saving it hot-replaces that service (the
old version drains while the new one takes traffic). A file that fails to compile is reported
and the running version is kept.`,
  call: `Usage: plexus call <service.action> [json] [--deadline <ms>] [--json]

Calls an action on the running kernel and prints the answer as JSON. The input is JSON
('{"user":"ada"}', 42, '"text"'); anything that does not start like JSON is sent as a string.
On failure prints CODE: message on stderr and exits 1 (--json prints {"error":{...}} on stdout).

Example: plexus call orders.place '{"user":"ada","items":[{"sku":"tea","qty":2}]}'`,
  emit: `Usage: plexus emit <topic> [json] [--json]

Publishes an event on the running kernel (fire-and-forget; every subscribing service gets it).

Example: plexus emit orders.created '{"id":"o-1"}'`,
  services: `Usage: plexus services [--json]   (alias: plexus ls)

Lists services of the running kernel: name, version, state, placement, instances up/total,
restarts and actions (streams end in ~). --json prints the full status snapshot.`,
  top: `Usage: plexus top [--once] [--interval <ms>] [--json]

A live view of every instance: requests/s, p50/p99 latency (ms), in flight, handled, errors,
restarts and refused envelopes (malformed traffic on a worker/process link), refreshed every
second. --once prints one snapshot and exits; --json prints snapshots
as JSON lines. Ctrl-C quits.`,
  replace: `Usage: plexus replace <service> [file] [--json]

Hot replaces a service on the running kernel with the definition exported by file (default: the
service's module from the config, read again). The new version starts while the old one
serves; then the old one drains and stops. If the new one fails, the old one keeps running.`,
  token: `Usage: plexus token [config] [--sub <name>] [--roles a,b] [--scopes a,b] [--tenant <t>] [--ttl <s>] [--json]

Prints a bearer token signed with the dev key pair of the config's auth.dev section (made on
the first 'plexus start', mode 0600; made now if it is not there yet). sub defaults to 'dev',
the lifetime to 3600 s. For development only: in production tokens come from your identity
provider and the config names it in auth.jwt.

Example: curl -H "authorization: Bearer $(plexus token --sub ada --roles customer)" localhost:8080/api/orders`,
  host: `Usage: plexus host <module> --connect <url> [--token <t>] [--name <n>] [--json]

Serves the service module (its default export) to a kernel that listens for hosts with the
remote plug-in: url is tcp://host:port, tls://host:port or ws://host:port/path. The token is
the kernel's remote.token (--token, or PLEXUS_REMOTE_TOKEN). The same file runs inline, in a
worker or in a child process. When the link drops the host reconnects with jittered backoff;
SIGTERM or SIGINT closes it. See docs/remote.md.`,
}
