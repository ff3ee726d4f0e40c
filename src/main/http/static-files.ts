/**
 * The built renderer as static files, for both HTTP servers (the `stats2 ui` bridge and the
 * dashboard of `stats2 serve`): `send` (express's own file server) does the path handling — `..`
 * refused with 403 even when percent-encoded, dotfiles hidden, malformed percent-encoding 400 —,
 * the content types, ranges, HEAD and conditional requests. This module adds the renderer's CSP and
 * the other security headers to every file, and reports errors instead of writing send's HTML pages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import send from 'send'
import { StaticFileError } from './errors'


export interface StaticOptions {
  /** The folder served (the built renderer). */
  root: string
  /** Headers on every file answer (CSP, nosniff, cache-control…). */
  headers: Record<string, string>
  /** The request's own path, for the redirect of a folder asked without its trailing slash. */
  requestPath: string
}

const REASONS: Record<number, string> = {
  400: 'The path is not valid percent-encoding.',
  403: 'Forbidden: outside the served folder.',
  404: 'Not found',
  412: 'Precondition failed',
  416: 'Range not satisfiable'
}

/**
 * Answers `path` (URL-encoded, relative to `root`; `…/` serves `index.html`). Resolves when the
 * answer is under way; rejects with StaticFileError, before anything was written, when there is no
 * such file.
 */
export function sendStaticFile(req: IncomingMessage, res: ServerResponse, path: string, options: StaticOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = send(req, path, { root: options.root, index: ['index.html'], dotfiles: 'ignore', cacheControl: false, etag: true, lastModified: true })
    stream.on('error', (error: { status?: number; statusCode?: number }) => {
      // A read error after the headers went out: the answer cannot be completed.
      if (res.headersSent) return void res.destroy()
      const status = error.status ?? error.statusCode ?? 500
      reject(new StaticFileError(status, REASONS[status] ?? 'The file cannot be read.'))
    })
    stream.on('directory', () => {
      res.writeHead(301, { ...options.headers, location: `${options.requestPath}/`, 'content-length': '0' })
      res.end()
      resolve()
    })
    stream.on('headers', (response: ServerResponse) => {
      for (const [name, value] of Object.entries(options.headers)) response.setHeader(name, value)
    })
    stream.on('stream', () => resolve())
    // 304, HEAD and empty answers end without a stream.
    res.once('close', () => resolve())
    stream.pipe(res)
  })
}
