import type { Response } from 'express'

/** A JSON answer as CouchDB sends one: its content type, `Cache-Control: must-revalidate`, a final newline. */
export function sendCouchJson(res: Response, status: number, body: Record<string, unknown> | unknown[]): void {
  res.status(status)
  res.setHeader('Content-Type', 'application/json')
  res.setHeader('Cache-Control', 'must-revalidate')
  res.end(JSON.stringify(body) + '\n')
}
