/**
 * What `require('electron')` resolves to in a stand-in process (launcher.cjs points the id
 * 'electron' here): the stand-in's TypeScript, loaded through tsx's scoped require, so the app's
 * own built bundle is loaded by plain Node, untouched.
 */
/* global __filename */
module.exports = require('tsx/cjs/api').require('./index.ts', __filename)
