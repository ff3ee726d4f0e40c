import { Component, type ErrorInfo, type ReactNode } from 'react'

interface Props {
  /** What failed, in words: "this workflow", "the chart". */
  what: string
  /** When this changes (another document, a refresh) the boundary tries again. */
  resetKey?: unknown
  children: ReactNode
  /** Extra content under the message, e.g. the raw JSON of the document that could not be shown. */
  details?: ReactNode
  className?: string
}

interface State {
  error: Error | undefined
  resetKey: unknown
}

/**
 * Contains a rendering failure to one row, panel or chart: the rest of the page stays, and this
 * part says what could not be shown. The last line of defence; documents are already checked in
 * main (`toWorkflowView`), so this should never be seen.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: undefined, resetKey: this.props.resetKey }

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) }
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return Object.is(props.resetKey, state.resetKey) ? null : { error: undefined, resetKey: props.resetKey }
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.warn(`Stats2: ${this.props.what} could not be shown: ${error.message}`, info.componentStack ?? '')
  }

  override render(): ReactNode {
    const { error } = this.state
    if (!error) return this.props.children
    return (
      <div className={`alert alert-warning ${this.props.className ?? ''}`} role="alert" data-testid="render-error">
        <p><strong>{capitalise(this.props.what)} could not be shown.</strong> The rest of the page is unaffected.</p>
        {this.props.details}
      </div>
    )
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
