/**
 * The four dataset-Type colours, the same everywhere (bars, badges, charts). Keep in step with the
 * `--color-type-*` tokens of styles/theme.css.
 */
import { typeColour } from '../../../shared/rules/completion'

export type TypeClass = ReturnType<typeof typeColour>

export const TYPE_COLOURS: Record<TypeClass, string> = {
  production: '#e07b00',
  valid: '#1f63c6',
  invalid: '#c9302c',
  other: '#39414d'
}

export function colourOfType(type: string): string {
  return TYPE_COLOURS[typeColour(type)]
}

/** Line colours for telling a workflow's datasets apart; none of them is a Type colour. */
export const SERIES_PALETTE = ['#0e8a7e', '#7a4cc2', '#4d8f1f', '#b8367f', '#8a5a2b', '#4f6d8a', '#a08700', '#2b9ac9']

/** `#rrggbb` with an alpha, for area fills. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16)
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`
}
