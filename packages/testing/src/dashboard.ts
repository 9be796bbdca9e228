import type { TestContext } from 'node:test'
import type { Page } from 'playwright-core'
import { openChromium } from './chromium.js'

// Page functions run in the browser; the repo's typecheck has no DOM lib.
declare const document: any

/** The gateway dashboard open in Chromium, live, with the shop's `orders` row drawn. */
export interface OpenDashboard {
  readonly page: Page
  /** The "handled total" figure the page shows now. */
  readonly handled: () => Promise<number>
}

/** Opens the dashboard at `url` and waits until it is live and lists the `orders` service. */
export async function openDashboard(t: TestContext, url: string): Promise<OpenDashboard> {
  const page = await openChromium(t)
  await page.goto(url)
  await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live')
  await page.waitForSelector('tr[data-service="orders"]')
  return {
    page,
    handled: () =>
      page.evaluate(() => Number(document.getElementById('total-count')?.dataset['value'] ?? 0)),
  }
}
