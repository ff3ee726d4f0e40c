/**
 * The store server's own error class, apart from the server's code so that the launcher (the
 * product's side of the store process) can name it without loading PouchDB.
 */

/** The server could not start: port in use, unwritable folder, … */
export class EmbeddedCouchError extends Error {
  override name = 'EmbeddedCouchError'
}
