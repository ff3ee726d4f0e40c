/**
 * The overview's own design document, `_design/stats2-overview`, apart from `_design/_designDoc`
 * (never touched: rewriting it makes a production CouchDB rebuild the seven search views for hours).
 * Its one map-only view emits, per workflow, a slim copy of the document: every field as stored
 * except the two that make documents large — EventNumberHistory keeps only the entries the overview
 * reads (per output dataset: each change of its Type and its newest entry; for the final dataset
 * also every entry of the ETA window; the newest entry of all), LumiList keeps its runs without
 * their ranges. `factsOf` (src/shared/overview/facts.ts) gives the same facts for the slim copy as
 * for the whole document (tests/overview/facts-view.test.ts checks it, on odd documents too):
 *
 * - a history that the document schema would refuse (a wrong type anywhere, a time out of range,
 *   text that is not well-formed, nesting too deep) is emitted whole, so the schema still refuses it;
 * - a LumiList that is not runs of numeric ranges is emitted whole;
 * - where anything else is unusual (a field named `__proto__`) or the function fails, it emits null:
 *   the engine then reads that document whole.
 *
 * Written in ES5, since CouchDB's JavaScript engines differ; the embedded store indexes it natively
 * (a map-only view). The view's name carries a version:
 * a changed function is a new view, and a stored `facts_v1` whose function is not this one is not
 * used (the engine reads whole documents instead).
 */
import { ETA_WINDOW_SECONDS } from '../../shared/rules/series'

export const OVERVIEW_DESIGN_ID = '_design/stats2-overview'
export const FACTS_VIEW = 'facts_v1'

export const FACTS_MAP = `function (doc) {
  var WINDOW = ${ETA_WINDOW_SECONDS};
  var MAX_TIME = 8.64e12;
  var LONE = /[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(^|[^\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/;
  var own = Object.prototype.hasOwnProperty;
  function isObject(value) { return typeof value === 'object' && value !== null && !Array.isArray(value); }
  function isNumber(value) { return typeof value === 'number' && isFinite(value); }
  function wellFormed(value, depth) {
    if (typeof value === 'string') return !LONE.test(value);
    if (typeof value !== 'object' || value === null) return true;
    if (depth > 40) return false;
    var i, key;
    if (Array.isArray(value)) {
      for (i = 0; i < value.length; i++) if (!wellFormed(value[i], depth + 1)) return false;
      return true;
    }
    for (key in value) {
      if (!own.call(value, key)) continue;
      if (key === '__proto__' || LONE.test(key) || !wellFormed(value[key], depth + 1)) return false;
    }
    return true;
  }
  function statFits(stat) {
    return isObject(stat) && typeof stat.Type === 'string' && isNumber(stat.Events) && isNumber(stat.Size) &&
      (stat.Lumis === undefined || isNumber(stat.Lumis));
  }
  function historyFits(history) {
    if (!Array.isArray(history) || !wellFormed(history, 0)) return false;
    var i, entry, name;
    for (i = 0; i < history.length; i++) {
      entry = history[i];
      if (!isObject(entry) || !isNumber(entry.Time) || entry.Time < 0 || entry.Time > MAX_TIME || !isObject(entry.Datasets)) return false;
      for (name in entry.Datasets) if (own.call(entry.Datasets, name) && !statFits(entry.Datasets[name])) return false;
    }
    return true;
  }
  function slimHistory(history, outputs) {
    if (!historyFits(history) || !Array.isArray(outputs)) return history;
    var i, j, o;
    for (o = 0; o < outputs.length; o++) if (typeof outputs[o] !== 'string' || outputs[o] === '__proto__') return history;
    var order = [];
    for (i = 0; i < history.length; i++) order.push(i);
    order.sort(function (a, b) { return (history[a].Time - history[b].Time) || (a - b); });
    var keep = [];
    function mark(index, name) {
      if (!keep[index]) keep[index] = [];
      if (name !== null && keep[index].indexOf(name) < 0) keep[index].push(name);
    }
    if (order.length > 0) mark(order[order.length - 1], null);
    var finalName = outputs.length > 0 ? outputs[outputs.length - 1] : null;
    var done = [];
    for (o = 0; o < outputs.length; o++) {
      var name = outputs[o];
      if (done.indexOf(name) >= 0) continue;
      done.push(name);
      var previous = null, seen = false, last = -1, appearances = [];
      for (j = 0; j < order.length; j++) {
        var index = order[j], datasets = history[index].Datasets;
        if (!own.call(datasets, name)) continue;
        var type = datasets[name].Type;
        if (!seen || type !== previous) mark(index, name);
        previous = type;
        seen = true;
        last = index;
        appearances.push(index);
      }
      if (last < 0) continue;
      mark(last, name);
      if (name === finalName) {
        var from = history[last].Time - WINDOW;
        for (j = 0; j < appearances.length; j++) if (history[appearances[j]].Time >= from) mark(appearances[j], name);
      }
    }
    var slim = [];
    for (i = 0; i < history.length; i++) {
      if (!keep[i]) continue;
      var kept = {};
      for (j = 0; j < keep[i].length; j++) kept[keep[i][j]] = history[i].Datasets[keep[i][j]];
      slim.push({ Time: history[i].Time, Datasets: kept });
    }
    return slim;
  }
  function slimLumis(lumis) {
    if (!isObject(lumis)) return lumis;
    var out = {}, run, i, j, ranges;
    for (run in lumis) {
      if (!own.call(lumis, run)) continue;
      ranges = lumis[run];
      if (run === '__proto__' || LONE.test(run) || !Array.isArray(ranges)) return lumis;
      for (i = 0; i < ranges.length; i++) {
        if (!Array.isArray(ranges[i])) return lumis;
        for (j = 0; j < ranges[i].length; j++) if (!isNumber(ranges[i][j])) return lumis;
      }
      out[run] = [];
    }
    return out;
  }
  if (typeof doc._id !== 'string' || doc._id.indexOf('_design/') === 0) return;
  try {
    var slim = {}, key;
    for (key in doc) {
      if (!own.call(doc, key) || key === '_id' || key === '_rev') continue;
      if (key === '__proto__') { emit(doc._id, null); return; }
      if (key === 'EventNumberHistory') slim[key] = slimHistory(doc[key], doc.OutputDatasets);
      else if (key === 'LumiList') slim[key] = slimLumis(doc[key]);
      else slim[key] = doc[key];
    }
    emit(doc._id, slim);
  } catch (error) {
    emit(doc._id, null);
  }
}`

export function overviewDesignDoc(): { _id: string; language: string; views: Record<string, { map: string }> } {
  return { _id: OVERVIEW_DESIGN_ID, language: 'javascript', views: { [FACTS_VIEW]: { map: FACTS_MAP } } }
}
