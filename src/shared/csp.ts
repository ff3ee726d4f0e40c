/**
 * The renderer's Content-Security-Policy: scripts, styles and connections only from the app itself,
 * nothing framed, no plugins. Sent as a header (Electron session, browser bridge) and, in the built
 * page, as a meta element (for the file:// page Electron loads).
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * `electron-vite dev` only: the dev server's React refresh preamble is an inline script and hot reload
 * talks over a WebSocket. Never used by a built app.
 */
export const DEV_SERVER_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The meta element carries what a meta element can (frame-ancestors only works as a header). */
export const META_CSP = RENDERER_CSP.replace(/;\s*frame-ancestors[^;]*/, '')
