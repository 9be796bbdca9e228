import { PlexusError } from './errors.js'
import type { HandleFn, Interceptor } from './interceptor.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import { isThenable } from './thenable.js'

/**
 * The built-in validation step: checks input (and output, for actions) against any Standard
 * Schema validator; a failure answers VALIDATION with the issues found. Handlers without
 * schemas are not wrapped at all.
 */
export const validationInterceptor: Interceptor = {
  name: 'validation',
  handle(next, info) {
    const where = `'${info.service}.${info.name}'`
    let step: HandleFn = next
    const output = info.kind === 'action' ? info.output : undefined
    if (output !== undefined) {
      const inner = step
      step = (ctx, input) => {
        const result = inner(ctx, input)
        return isThenable(result)
          ? result.then((value) => check(output, value, `output of ${where}`))
          : check(output, result, `output of ${where}`)
      }
    }
    const input = info.input
    if (input !== undefined) {
      const inner = step
      step = (ctx, value) => {
        const checked = check(input, value, `input of ${where}`)
        return isThenable(checked) ? checked.then((v) => inner(ctx, v)) : inner(ctx, checked)
      }
    }
    return step
  },
}

function check(schema: StandardSchemaV1, value: unknown, what: string): unknown {
  const result = schema['~standard'].validate(value)
  return isThenable(result) ? result.then((r) => unwrap(r, what)) : unwrap(result, what)
}

function unwrap(result: StandardSchemaV1.Result<unknown>, what: string): unknown {
  if (result.issues === undefined) return result.value
  const issues = result.issues.map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p)).map(String),
  }))
  const first = issues[0]
  const at = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : ''
  throw new PlexusError(
    'VALIDATION',
    `Invalid ${what}${at}: ${first?.message ?? 'rejected'}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`,
    { data: { issues } },
  )
}
