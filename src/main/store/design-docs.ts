/**
 * The design documents of the old Stats2 (seed README): the seven search views of `requests` and the
 * admin-only write validation of both databases. Names, emitted keys and values must stay identical:
 * other PdmV tools query these views directly.
 */
import { DESIGN_DOC_ID, VALIDATE_WRITE_FUNCTION, VALIDATE_WRITE_ID, VIEW_NAMES, type ViewName } from '../../shared/stats2-doc'

export { DESIGN_DOC_ID, VALIDATE_WRITE_FUNCTION, VALIDATE_WRITE_ID, VIEW_NAMES, type ViewName }

/**
 * Verbatim from the old Stats2 README, including its undeclared `addedCampaigns`/`addedRequests`:
 * CouchDB runs view code in sloppy mode, and so does the embedded server (sandboxed-mapreduce.ts).
 */
export const VIEW_MAPS: Record<ViewName, string> = {
  campaigns: `function (doc) {
  if (doc.Campaigns) {
    addedCampaigns = {};
    var i;
    for (i = 0; i < doc.Campaigns.length; i++) {
      if (!(doc.Campaigns[i] in addedCampaigns)) {
        emit(doc.Campaigns[i], doc.RequestName);
        addedCampaigns[doc.Campaigns[i]] = true;
      }
    }
  }
}`,
  inputDatasets: `function (doc) {
  var i;
  if (doc.InputDataset) {
    emit(doc.InputDataset, doc.RequestName);
  }
}`,
  outputDatasets: `function (doc) {
  var i;
  if (doc.OutputDatasets) {
    for (i = 0; i < doc.OutputDatasets.length; i++) {
      emit(doc.OutputDatasets[i], doc.RequestName);
    }
  }
}`,
  prepids: `function (doc) {
  if (doc.PrepID) {
    emit(doc.PrepID, doc.RequestName);
  }
}`,
  types: `function (doc) {
  if (doc.RequestType) {
    emit(doc.RequestType, doc.RequestName);
  }
}`,
  processingStrings: `function (doc) {
  if (doc.ProcessingString && doc.ProcessingString.length > 0) {
    emit(doc.ProcessingString, doc.RequestName);
  }
}`,
  requests: `function (doc) {
  if (doc.Requests) {
    addedRequests = {};
    var i;
    for (i = 0; i < doc.Requests.length; i++) {
      if (!(doc.Requests[i] in addedRequests)) {
        emit(doc.Requests[i], doc.RequestName);
        addedRequests[doc.Requests[i]] = true;
      }
    }
  }
}`
}

export function searchDesignDoc(): { _id: string; language: string; views: Record<string, { map: string }> } {
  const views: Record<string, { map: string }> = {}
  for (const name of VIEW_NAMES) views[name] = { map: VIEW_MAPS[name] }
  return { _id: DESIGN_DOC_ID, language: 'javascript', views }
}


export function validateWriteDesignDoc(): { _id: string; validate_doc_update: string } {
  return { _id: VALIDATE_WRITE_ID, validate_doc_update: VALIDATE_WRITE_FUNCTION }
}
