/**
 * Bidirectional formatting characters in stored names ("Trojan Source"): a right-to-left override
 * makes `evil\u202Egnp.exe` read as `evilexe.png`. Isolating the name (`<bdi>`, `unicode-bidi:
 * isolate`) keeps it from reordering the text around it, but not its own characters, so every view
 * also shows each control as a visible mark. Names in CMS are ASCII: a control in one is never
 * wanted, and showing it changes no real name. Link targets and search values keep the real text.
 */

/** LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM and the Arabic letter mark. */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/
const BIDI_CONTROLS = new RegExp(BIDI_CONTROL.source, 'g')

export function hasBidiControls(text: string): boolean {
  return BIDI_CONTROL.test(text)
}

/** `[U+202E]` for each bidirectional control; other text unchanged (no allocation when there is none). */
export function showBidiControls(text: string): string {
  if (!BIDI_CONTROL.test(text)) return text
  return text.replace(BIDI_CONTROLS, (char) => `[U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`)
}
