/** Whether a file needs a TypeScript loader to be imported. */
export function isTypeScript(ref: string): boolean {
  return /\.(?:c|m)?ts$/.test(ref)
}

/** The URL of a guest entry beside this file: `.ts` when running from source, `.js` when built. */
export function entryUrl(name: string): URL {
  const ext = isTypeScript(import.meta.url) ? '.ts' : '.js'
  return new URL(`./${name}${ext}`, import.meta.url)
}

/** tsx's registration API, when tsx is installed (needed to run `.ts` entries and modules). */
export function tsxApi(): string | undefined {
  try {
    return import.meta.resolve('tsx/esm/api')
  } catch {
    return undefined
  }
}

/** tsx's loader, for `node --import`. */
export function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return undefined
  }
}
