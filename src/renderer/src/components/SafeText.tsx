import type { ReactNode } from 'react'
import { showBidiControls } from '../../../shared/rules/bidi'

/**
 * A stored value (a workflow name, a PrepID, a dataset…) as text that cannot reorder what is around
 * it (`<bdi>`: isolated) nor hide what it is (bidirectional controls shown as `[U+202E]`, rules/bidi.ts).
 */
export function SafeText({ text }: { text: string }): ReactNode {
  return <bdi>{showBidiControls(text)}</bdi>
}
