// SPDX-License-Identifier: Apache-2.0
// dicomweb-client (the DICOMweb library OHIF and many viewers use), run
// from Node against a live cloudfilm: store synthetic objects, search at
// every level, retrieve instances, metadata, frames, bulk data and
// rendered images, and compare what comes back with the files sent.
//
// Usage: node dicomweb_client_test.js BASE_URL MANIFEST_TSV
// (the manifest of `cloudfilm synth`; its files sit beside it).
// Every request carries "Authorization: Bearer $CF_TOKEN" (the token of the
// server, exported by tests/integration/lib.sh) when CF_TOKEN is set.
'use strict';

global.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const [base, manifestPath] = process.argv.slice(2);
const { check, checkEq, finish } = require('./tap');
const authHeaders = process.env.CF_TOKEN ? { Authorization: `Bearer ${process.env.CF_TOKEN}` } : {};

const sha = (bytes) => crypto.createHash('sha256').update(Buffer.from(bytes)).digest('hex');
const sorted = (values) => [...values].sort();
const value = (object, tag) => (object[tag] && object[tag].Value ? object[tag].Value[0] : undefined);

// The data set of a Part 10 file: what follows the preamble and the file
// meta group (explicit VR little endian, its length in (0002,0000)).
function datasetOf(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.length < 144 || buf.toString('latin1', 128, 132) !== 'DICM') return buf;
  const metaLength = buf.readUInt32LE(140);
  return buf.subarray(144 + metaLength);
}

// Rows of the synth manifest as objects keyed by its header.
const lines = fs.readFileSync(manifestPath, 'utf8').trim().split('\n');
const header = lines[0].split('\t');
const rows = lines.slice(1).map((line) => {
  const cells = line.split('\t');
  const row = {};
  header.forEach((name, i) => { row[name] = cells[i]; });
  row.path = path.join(path.dirname(manifestPath), row.file);
  return row;
});
const unique = (key, filter = () => true) => sorted(new Set(rows.filter(filter).map((r) => r[key])));

async function main() {
  const client = new api.DICOMwebClient({ url: `${base}/dicom-web`, singlepart: '', headers: authHeaders });

  // --- Store (STOW-RS), in two requests ----------------------------------------
  const datasets = rows.map((r) => {
    const b = fs.readFileSync(r.path);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  });
  const half = Math.ceil(datasets.length / 2);
  for (const part of [datasets.slice(0, half), datasets.slice(half)]) {
    const answer = await client.storeInstances({ datasets: part });
    const text = Buffer.from(answer).toString('utf8');
    const json = text ? JSON.parse(text) : {};
    const stored = (json['00081199'] && json['00081199'].Value) || [];
    checkEq('STOW stores every part', part.length, stored.length);
  }

  // --- Search (QIDO-RS) ----------------------------------------------------------
  const studies = await client.searchForStudies();
  checkEq('every study is found', unique('study_uid'), sorted(studies.map((s) => value(s, '0020000D'))));
  const patient = rows.find((r) => r.patient_name.includes('='));
  const byId = await client.searchForStudies({ queryParams: { PatientID: patient.patient_id } });
  checkEq('studies by PatientID', unique('study_uid', (r) => r.patient_id === patient.patient_id),
    sorted(byId.map((s) => value(s, '0020000D'))));
  checkEq('PatientName comes as PN groups', patient.patient_name.split('=')[1],
    value(byId[0], '00100010').Ideographic);
  const given = patient.patient_name.split('=')[1].split('^')[1];
  const fuzzy = await client.searchForStudies({
    queryParams: { PatientName: given, fuzzymatching: 'true' },
  });
  checkEq('fuzzy match on a Chinese given name',
    unique('study_uid', (r) => r.patient_name.split('=')[1] && r.patient_name.split('=')[1].includes(given)),
    sorted(fuzzy.map((s) => value(s, '0020000D'))));
  const dates = unique('study_date');
  const from = dates[Math.floor(dates.length / 2)];
  const inRange = await client.searchForStudies({ queryParams: { StudyDate: `${from}-` } });
  checkEq('studies by date range', unique('study_uid', (r) => r.study_date >= from),
    sorted(inRange.map((s) => value(s, '0020000D'))));
  const limited = await client.searchForStudies({ queryParams: { limit: 2, offset: 1 } });
  checkEq('limit and offset', 2, limited.length);

  const study = rows[0].study_uid;
  const series = await client.searchForSeries({ studyInstanceUID: study });
  checkEq('series of a study', unique('series_uid', (r) => r.study_uid === study),
    sorted(series.map((s) => value(s, '0020000E'))));
  const allMr = await client.searchForSeries({ queryParams: { Modality: 'MR' } });
  checkEq('all series by modality', unique('series_uid', (r) => r.modality === 'MR'),
    sorted(allMr.map((s) => value(s, '0020000E'))));

  const seriesUid = rows[0].series_uid;
  const instances = await client.searchForInstances({ studyInstanceUID: study, seriesInstanceUID: seriesUid });
  checkEq('instances of a series', unique('sop_uid', (r) => r.series_uid === seriesUid),
    sorted(instances.map((s) => value(s, '00080018'))));
  const inStudy = await client.searchForInstances({ studyInstanceUID: study });
  checkEq('instances of a study', unique('sop_uid', (r) => r.study_uid === study),
    sorted(inStudy.map((s) => value(s, '00080018'))));
  const everywhere = await client.searchForInstances({ queryParams: { SOPInstanceUID: rows[1].sop_uid } });
  checkEq('an instance across all studies', [rows[1].sop_uid], everywhere.map((s) => value(s, '00080018')));

  // --- Retrieve (WADO-RS) ------------------------------------------------------------
  const ct = rows.find((r) => r.modality === 'CT');
  const ctFile = fs.readFileSync(ct.path);
  const ids = { studyInstanceUID: ct.study_uid, seriesInstanceUID: ct.series_uid, sopInstanceUID: ct.sop_uid };
  const instance = await client.retrieveInstance(ids);
  checkEq('retrieved instance has the data set sent', sha(datasetOf(ctFile)), sha(datasetOf(instance)));
  const wholeSeries = await client.retrieveSeries({ studyInstanceUID: ct.study_uid, seriesInstanceUID: ct.series_uid });
  const sentSeries = rows.filter((r) => r.series_uid === ct.series_uid)
    .map((r) => sha(datasetOf(fs.readFileSync(r.path))));
  checkEq('retrieved series has every data set sent', sorted(sentSeries),
    sorted(wholeSeries.map((b) => sha(datasetOf(b)))));

  const metadata = await client.retrieveStudyMetadata({ studyInstanceUID: ct.study_uid });
  checkEq('study metadata has one object per instance', rows.filter((r) => r.study_uid === ct.study_uid).length,
    metadata.length);
  const mine = metadata.find((m) => value(m, '00080018') === ct.sop_uid);
  checkEq('metadata carries the instance attributes', [Number(ct.rows), Number(ct.columns)],
    [value(mine, '00280010'), value(mine, '00280011')]);

  // Native pixels of an explicit little endian CT: the last value of the file.
  const frameBytes = Number(ct.rows) * Number(ct.columns) * 2;
  const pixels = ctFile.subarray(ctFile.length - frameBytes);
  const frames = await client.retrieveInstanceFrames({ ...ids, frameNumbers: [1] });
  checkEq('frame 1 is the native pixel data', sha(pixels), sha(frames[0]));
  const bulk = await client.retrieveBulkData({ BulkDataURI: mine['7FE00010'].BulkDataURI });
  checkEq('pixel data bulk data is the pixel data', sha(pixels), sha(bulk[0]));

  // A single-part answer comes back as a list of one buffer.
  const first = (answer) => Buffer.from(Array.isArray(answer) ? answer[0] : answer);
  const jpeg = first(await client.retrieveInstanceRendered({
    ...ids, mediaTypes: [{ mediaType: 'image/jpeg' }],
  }));
  checkEq('rendered instance is a JPEG', 'ffd8', jpeg.subarray(0, 2).toString('hex'));
  const png = first(await client.retrieveInstanceRendered({
    ...ids, mediaTypes: [{ mediaType: 'image/png' }],
  }));
  checkEq('rendered PNG has the image size', [Number(ct.columns), Number(ct.rows)],
    [png.readUInt32BE(16), png.readUInt32BE(20)]);

  finish();
}

main().catch((error) => {
  console.log(`FAILED - unexpected error: ${error && (error.stack || error.message || JSON.stringify(error))}`);
  process.exit(1);
});
