/**
 * Accessibility checks for the e2e tests: axe-core (pinned dev dependency) run in the page, in the
 * light and the dark theme, with a screenshot of each state kept under test-results/screenshots.
 *
 * The app's CSP allows no inline or eval'd script, so `page.addScriptTag({content})` is refused.
 * axe goes in by a DevTools evaluation instead (`page.evaluate` of axe.min.js): not a page script,
 * so the policy does not apply to it, and the page keeps its real CSP (no `bypassCSP`). axe 4.14
 * runs without eval there (checked: no CSP report in the console, which the tests fail on).
 *
 * For the next view: `await auditThemes(page, 'my-state')` once the state is on screen.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { ARTIFACTS } from './harness'
import { REPO_ROOT } from '../helpers/paths'

const AXE_SOURCE = readFileSync(resolve(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

export type Theme = 'light' | 'dark'
export const THEMES: readonly Theme[] = ['light', 'dark']

interface AxeNode { target: unknown[]; failureSummary?: string; html: string }
interface AxeViolation { id: string; impact: string | null; help: string; nodes: AxeNode[] }
export interface A11yReport { state: string; serious: AxeViolation[]; moderate: AxeViolation[] }

const BLOCKING = new Set(['serious', 'critical'])

/** One line per failing element: rule, impact, target, what to fix. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  const lines: string[] = []
  for (const violation of violations) {
    lines.push(`${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.length} element(s)`)
    for (const node of violation.nodes.slice(0, 12)) {
      const summary = (node.failureSummary ?? '').replace(/\s+/g, ' ').replace(/^Fix (any|all) of the following: ?/, '').slice(0, 240)
      lines.push(`    ${JSON.stringify(node.target)}: ${summary}`)
    }
    if (violation.nodes.length > 12) lines.push(`    …and ${violation.nodes.length - 12} more`)
  }
  return lines.join('\n')
}

/** Runs axe over the page (or `include`); returns the serious/critical and the lesser violations. */
export async function runAxe(page: Page, state: string, options: { include?: string } = {}): Promise<A11yReport> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async (include) => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe
    // axe's default rule set (WCAG 2.0–2.2 A/AA and best practices, as the issue measured it).
    const result = await axe.run(include ? { include: [include] } : (globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary, html: n.html.slice(0, 200) })) }))
  }, options.include)
  return {
    state,
    serious: violations.filter((v) => BLOCKING.has(v.impact ?? '')),
    moderate: violations.filter((v) => !BLOCKING.has(v.impact ?? ''))
  }
}

/**
 * Fails on any serious or critical violation, with a readable list; moderate and minor ones are
 * written to the test output (they are worth fixing, but do not fail the run).
 */
export async function expectNoSeriousA11yViolations(page: Page, state: string, options: { include?: string } = {}): Promise<A11yReport> {
  const report = await runAxe(page, state, options)
  if (report.moderate.length > 0) console.log(`axe, ${state}: moderate or minor\n${describeViolations(report.moderate)}`)
  if (report.serious.length > 0) throw new Error(`axe, ${state}: serious or critical violations\n${describeViolations(report.serious)}`)
  return report
}

/** Two frames after a change: the page has restyled and painted (charts redraw on the theme change). */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(() => {
    const frame = (globalThis as unknown as { requestAnimationFrame: (callback: () => void) => void }).requestAnimationFrame
    return new Promise<void>((done) => frame(() => frame(() => done())))
  })
}

export async function setTheme(page: Page, theme: Theme): Promise<void> {
  await page.emulateMedia({ colorScheme: theme })
  await settled(page)
}

/**
 * The state on screen, in both themes: axe clean (serious/critical) and a screenshot
 * `<state>-<theme>.png` of each. Leaves the page in the light theme.
 */
export async function auditThemes(page: Page, state: string, options: { include?: string } = {}): Promise<void> {
  const failures: string[] = []
  for (const theme of THEMES) {
    await setTheme(page, theme)
    await page.screenshot({ path: join(ARTIFACTS, `${state}-${theme}.png`) })
    try {
      await expectNoSeriousA11yViolations(page, `${state} (${theme})`, options)
    } catch (error) {
      failures.push((error as Error).message)
    }
  }
  await setTheme(page, 'light')
  if (failures.length > 0) throw new Error(failures.join('\n\n'))
}
