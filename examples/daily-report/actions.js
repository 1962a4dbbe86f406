/**
 * The daily report's actions: plain OpenWhisk actions. `announce` is the target of the changes
 * feed's rule, not a stage: it turns a written file document into the event the run waits for.
 */
'use strict';

/** The day the report is for: the input's `day`, else today (UTC) when the alarm fires. */
function plan(params) {
  return { day: typeof params.day === 'string' ? params.day : new Date().toISOString().slice(0, 10) };
}

/**
 * One change of the watched database → a `report.file.arrived` CloudEvent fired into the
 * workflow's trigger, keyed by the document's `day`. The local platform's changes feed hands the
 * document along as `input`; behind `/whisk.system/cloudant/read` in a sequence the parameters are
 * the document itself. The event id is the document's: a change fired again, or a later revision
 * of the same file, is a duplicate and changes nothing.
 */
async function announce(params) {
  const doc = params.input && typeof params.input === 'object' ? params.input : params;
  if (params.deleted || doc._deleted || doc.kind !== 'sales-file' || typeof doc.day !== 'string') {
    return { ignored: String(params.id || doc._id || '') };
  }
  const { _id, _rev, ...data } = doc;
  const event = {
    specversion: '1.0', type: 'report.file.arrived', id: `file-${_id}`,
    source: `/couchdb/${params.dbname || 'files'}`, key: doc.day, data,
  };
  const openwhisk = require('openwhisk');
  await openwhisk().triggers.invoke({ name: params.workflowTrigger || 'whiskflow-daily-report', params: event });
  return { announced: event.id, key: event.key };
}

/** The report: the file and its totals. */
function summarize(params) {
  const rows = Array.isArray(params.file && params.file.rows) ? params.file.rows : [];
  const total = rows.reduce((sum, row) => sum + Number(row.amount || 0), 0);
  return { day: params.day, file: params.file, rows: rows.length, total };
}

/** No file came in time. */
function missing(params) {
  return { day: params.day, missing: true, reason: params.error && params.error.error };
}

module.exports = { plan, announce, summarize, missing };
