import type { Kernel } from '@plexus/kernel'
import type { GatewayEndpoint } from './endpoint.js'
import { DEFAULT_STATUSES } from './http-status.js'
import { openApiDocument, type OpenApiOptions } from './openapi.js'
import { openApiPage } from './openapi-page.js'
import type { ResolvedOptions } from './options.js'
import { SchemaCatalog } from './schema-catalog.js'

/**
 * The `/openapi.json` and `/docs` endpoints. Adds the schema catalog to the kernel (a `handle`
 * hook that only records), so it must run before the gateway serves.
 */
export function openApiEndpoints(
  kernel: Kernel<any>,
  config: ResolvedOptions,
  options: Required<OpenApiOptions>,
): Record<string, GatewayEndpoint> {
  const catalog = new SchemaCatalog()
  kernel.intercept(catalog.interceptor(`${config.name}-openapi`))
  const document = () =>
    openApiDocument({
      kernel,
      routes: config.routes,
      catalog,
      validationStatus: config.statuses['VALIDATION'] ?? DEFAULT_STATUSES.VALIDATION ?? 422,
      title: options.title,
      version: options.version,
    })
  const endpoints: Record<string, GatewayEndpoint> = {
    [options.path]: () => ({
      type: 'application/json; charset=utf-8',
      body: JSON.stringify(document()),
    }),
  }
  if (options.page !== false) {
    endpoints[options.page] = () => ({
      type: 'text/html; charset=utf-8',
      body: openApiPage(document(), options.path),
    })
  }
  return endpoints
}
