/** Subjects and headers of the NATS micro facade (docs/cluster.md lists them). */

/** Queue group of every micro facade endpoint: nodes hosting a service share its requests. */
export const MICRO_QUEUE = 'q'

/** The micro facade endpoint of `service.action`: JSON in, JSON out. */
export function microSubject(namespace: string, service: string, action: string): string {
  return `plexus.${namespace}.svc.${service}.${action}`
}

/** ADR-32 discovery subjects of one micro service instance, per verb (all, kind, instance). */
export function srvSubjects(
  name: string,
  id: string,
): [verb: 'PING' | 'INFO' | 'STATS', subjects: string[]][] {
  return (['PING', 'INFO', 'STATS'] as const).map((verb) => [
    verb,
    [`$SRV.${verb}`, `$SRV.${verb}.${name}`, `$SRV.${verb}.${name}.${id}`],
  ])
}

/** Headers of the micro facade: the ADR-32 error pair, the Plexus code, the caller's budget. */
export const MICRO_HEADERS = {
  error: 'Nats-Service-Error',
  errorCode: 'Nats-Service-Error-Code',
  plexusCode: 'Plexus-Error-Code',
  deadline: 'Plexus-Deadline',
} as const
