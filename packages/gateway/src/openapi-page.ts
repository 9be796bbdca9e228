/** A small readable page over the OpenAPI document: every route, its address and schemas. */
export function openApiPage(document: Record<string, unknown>, jsonPath: string): string {
  const info = document['info'] as { title: string; version: string }
  const paths = document['paths'] as Record<string, Record<string, Record<string, unknown>>>
  const rows: string[] = []
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const body = (
        op['requestBody'] as { content: Record<string, { schema: unknown }> } | undefined
      )?.content['application/json']?.schema
      const params = (op['parameters'] ?? []) as { name: string; in: string }[]
      rows.push(`<section>
  <h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code> → <code>${escape(String(op['x-plexus-address']))}</code></h2>
  ${params.length > 0 ? `<p>Parameters: ${params.map((p) => `<code>${escape(p.name)}</code> (${p.in})`).join(', ')}</p>` : ''}
  ${body !== undefined ? `<details open><summary>Request body</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>` : ''}
  <details><summary>Responses</summary><pre>${escape(JSON.stringify(op['responses'], null, 2))}</pre></details>
</section>`)
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{font-size:1rem;margin:1.5rem 0 .25rem}.m{display:inline-block;min-width:4rem;font-weight:700}
.get{color:#0a6}.post{color:#05c}.put,.patch{color:#a60}.delete{color:#c22}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:13px}
</style></head><body>
<h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>The machine-readable document: <a href="${escape(jsonPath)}">${escape(jsonPath)}</a> (OpenAPI 3.1).</p>
${rows.join('\n')}
</body></html>
`
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
