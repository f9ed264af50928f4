// Peer for the analysis benchmark: DuckDB computes, in SQL, what
// `populus analyse --core-only` computes: the population on a date, the
// condition registers (QOF-style: latest diagnosis later than any
// resolution, age bounds), the number of long-term conditions, and the
// electronic Frailty Index (codes ever recorded, polypharmacy of 5+ distinct
// products in 365 days, categories from the score) for people 65 and over,
// as counts by practice. The rules and codelists are populus's own data
// files, read here as plain CSV. The extract is loaded first (timed apart);
// the analysis step is the SQL after it. Prints a JSON summary and writes
// the practice counts as CSV for the bench script to compare.
//
// usage: node duckdb-analyse.mjs EXTRACT_DIR DATA_ROOT AS_OF THREADS OUT_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const [extract, dataRoot, asOf, threads, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });

// A small CSV reader for populus's rule files (quoted fields allowed).
function readCsv(file) {
  const rows = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const fields = [];
    let field = '', quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { field += '"'; i++; }
        else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') { fields.push(field); field = ''; }
      else field += c;
    }
    fields.push(field);
    rows.push(fields);
  }
  const header = rows.shift();
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

// Register rules and their codes; eFI deficits and their codes.
const codelists = path.join(dataRoot, 'data/codelists');
const registerRows = [], registerCodes = [];
// QOF's further conditions (the register file's qualifier column), turned
// into SQL: each clause is a set of patients; "and" is INTERSECT, "or" UNION.
// Only the clause forms the register file uses are understood.
const qualifierLists = [];  // [list id, code]
const listIds = new Map();
function listId(spec) {
  if (!listIds.has(spec)) {
    const id = listIds.size;
    listIds.set(spec, id);
    for (const part of spec.split('+')) {
      for (const c of readCsv(path.join(codelists, part))) {
        if (c.role === undefined || c.role === 'diagnosis') qualifierLists.push([id, c.code]);
      }
    }
  }
  return listIds.get(spec);
}
function clauseSql(clause) {
  let m;
  const codes = (id) => `(SELECT code FROM qualifier_codes WHERE list = ${id})`;
  if ((m = clause.match(/^issued:(\S+) in (\d+)d$/))) {
    return `SELECT DISTINCT patient FROM medications WHERE dmd_code IN ${codes(listId(m[1]))}
      AND date <= DATE '${asOf}' AND date > DATE '${asOf}' - INTERVAL ${m[2]} DAY`;
  }
  if ((m = clause.match(/^coded:(\S+) in (\d+)d$/))) {
    return `SELECT DISTINCT patient FROM events WHERE snomed_code IN ${codes(listId(m[1]))}
      AND date <= DATE '${asOf}' AND date > DATE '${asOf}' - INTERVAL ${m[2]} DAY`;
  }
  if ((m = clause.match(/^coded:(\S+) since (\d{4}-\d{2}-\d{2})$/))) {
    return `SELECT DISTINCT patient FROM events WHERE snomed_code IN ${codes(listId(m[1]))}
      AND date <= DATE '${asOf}' AND date >= DATE '${m[2]}'`;
  }
  if ((m = clause.match(/^latest:(\S+) in (\d+)d (>=|<=|>|<) (\S+)$/))) {
    // The latest value; two on one day: the later row of the extract, as
    // populus keeps the extract's order within a day.
    return `SELECT patient FROM (SELECT patient, last(numeric_value ORDER BY date, rowid) AS v FROM events
      WHERE snomed_code IN ${codes(listId(m[1]))} AND numeric_value IS NOT NULL
        AND date <= DATE '${asOf}' AND date > DATE '${asOf}' - INTERVAL ${m[2]} DAY
      GROUP BY patient) WHERE v ${m[3]} ${m[4]}`;
  }
  throw new Error(`qualifier clause not understood by the DuckDB peer: ${clause}`);
}
const qualifierSql = (text) => text.split(' or ').map((run) =>
  '(' + run.split(' and ').map((c) => `(${clauseSql(c.trim())})`).join(' INTERSECT ') + ')')
  .join(' UNION ');
const qualified = [];
for (const r of readCsv(path.join(dataRoot, 'data/registers/ltc-registers.csv'))) {
  registerRows.push([r.register, r.min_age, r.max_age === '' ? '' : r.max_age, r.multimorbidity]);
  for (const c of readCsv(path.join(codelists, r.codelist))) registerCodes.push([r.register, c.code, c.role]);
  if (r.qualifier) qualified.push([r.register, qualifierSql(r.qualifier)]);
}
const efiRows = readCsv(path.join(dataRoot, 'data/frailty/efi-deficits.csv'));
const efiCodes = [];
let polypharmacy = null;
for (const d of efiRows) {
  if (d.rule === 'polypharmacy') { polypharmacy = d; continue; }
  for (const list of d.codelists.split(' ').filter(Boolean)) {
    for (const c of readCsv(path.join(codelists, list))) {
      if (c.role === undefined || c.role === 'diagnosis') efiCodes.push([d.deficit, c.code]);
    }
  }
}
const categories = readCsv(path.join(dataRoot, 'data/frailty/efi-categories.csv'));
const write = (file, header, rows) =>
  fs.writeFileSync(file, [header, ...rows.map((r) => r.join(','))].join('\n') + '\n');
write(path.join(outDir, 'register_rules.csv'), 'register,min_age,max_age,multimorbidity', registerRows);
write(path.join(outDir, 'register_codes.csv'), 'register,code,role', registerCodes);
write(path.join(outDir, 'efi_codes.csv'), 'deficit,code', efiCodes);
write(path.join(outDir, 'qualifier_codes.csv'), 'list,code', qualifierLists);

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const db = await instance.connect();
const seconds = async (sql) => {
  const start = process.hrtime.bigint();
  await db.run(sql);
  return Number(process.hrtime.bigint() - start) / 1e9;
};

const load = await seconds(`
  CREATE TABLE patients AS SELECT * FROM read_csv('${extract}/patients.csv', header = true,
    columns = {'nhs_number': 'VARCHAR', 'date_of_birth': 'DATE', 'sex': 'VARCHAR',
      'practice_code': 'VARCHAR', 'registered_from': 'DATE', 'registered_to': 'DATE',
      'date_of_death': 'DATE', 'lsoa': 'VARCHAR', 'imd_decile': 'INTEGER',
      'ethnicity': 'VARCHAR', 'care_home': 'VARCHAR'});
  CREATE TABLE events AS SELECT patient, date, snomed_code, numeric_value FROM read_csv('${extract}/events.csv',
    header = true, columns = {'patient': 'VARCHAR', 'date': 'DATE', 'snomed_code': 'VARCHAR',
      'numeric_value': 'DOUBLE', 'unit': 'VARCHAR'});
  CREATE TABLE medications AS SELECT patient, date, dmd_code FROM read_csv(
    '${extract}/medications.csv', header = true, columns = {'patient': 'VARCHAR',
      'date': 'DATE', 'dmd_code': 'VARCHAR', 'quantity': 'DOUBLE'});
  CREATE TABLE register_rules AS SELECT * FROM read_csv('${outDir}/register_rules.csv',
    header = true, columns = {'register': 'VARCHAR', 'min_age': 'INTEGER', 'max_age': 'INTEGER',
      'multimorbidity': 'BOOLEAN'});
  CREATE TABLE register_codes AS SELECT * FROM read_csv('${outDir}/register_codes.csv',
    header = true, columns = {'register': 'VARCHAR', 'code': 'VARCHAR', 'role': 'VARCHAR'});
  CREATE TABLE efi_codes AS SELECT * FROM read_csv('${outDir}/efi_codes.csv', header = true,
    columns = {'deficit': 'VARCHAR', 'code': 'VARCHAR'});
  CREATE TABLE qualifier_codes AS SELECT * FROM read_csv('${outDir}/qualifier_codes.csv',
    header = true, columns = {'list': 'INTEGER', 'code': 'VARCHAR'});`);

const deficits = efiRows.length;
const window = Number(polypharmacy.window_days), drugs = Number(polypharmacy.min_drugs);
const categorySql = categories.map((c, i) => `WHEN n / ${deficits}.0 >= ${c.from_score} - 1e-12 THEN ${i}`)
  .reverse().join(' ');
const analysis = await seconds(`
  CREATE TABLE pop AS
    SELECT nhs_number AS patient, practice_code,
           date_part('year', age(DATE '${asOf}', date_of_birth)) AS age
    FROM patients
    WHERE registered_from <= DATE '${asOf}'
      AND (registered_to IS NULL OR registered_to > DATE '${asOf}')
      AND (date_of_death IS NULL OR date_of_death > DATE '${asOf}');
  CREATE TABLE qualifies AS
    ${qualified.length ? qualified.map(([reg, sql]) => `SELECT '${reg}' AS register, patient FROM (${sql})`).join(' UNION ALL ') : "SELECT NULL::VARCHAR AS register, NULL::VARCHAR AS patient WHERE false"};
  CREATE TABLE diagnosed AS
    WITH latest AS (
      SELECT e.patient, c.register,
             max(e.date) FILTER (WHERE c.role = 'diagnosis') AS diagnosed,
             max(e.date) FILTER (WHERE c.role = 'resolved') AS resolved
      FROM events e JOIN register_codes c ON e.snomed_code = c.code
      WHERE e.date <= DATE '${asOf}'
      GROUP BY ALL)
    SELECT p.patient, p.practice_code, l.register, r.multimorbidity
    FROM latest l JOIN pop p USING (patient) JOIN register_rules r USING (register)
    WHERE l.diagnosed IS NOT NULL AND (l.resolved IS NULL OR l.resolved < l.diagnosed)
      AND p.age >= r.min_age AND (r.max_age IS NULL OR p.age <= r.max_age);
  CREATE TABLE on_register AS
    SELECT d.* FROM diagnosed d
    WHERE d.register NOT IN (${qualified.length ? qualified.map(([reg]) => `'${reg}'`).join(', ') : "''"})
       OR (d.register, d.patient) IN (SELECT (register, patient) FROM qualifies);
  CREATE TABLE register_counts AS
    SELECT practice_code, register, count(*) AS patients FROM on_register GROUP BY ALL;
  CREATE TABLE multimorbidity_counts AS
    WITH n AS (
      SELECT p.practice_code, p.patient,
             count(o.register) FILTER (WHERE o.multimorbidity) AS conditions
      FROM pop p LEFT JOIN diagnosed o USING (patient) GROUP BY ALL)
    SELECT practice_code, least(conditions, 4) AS conditions, count(*) AS patients
    FROM n GROUP BY ALL;
  CREATE TABLE frailty_counts AS
    WITH old AS (SELECT * FROM pop WHERE age >= 65),
    coded AS (
      SELECT DISTINCT e.patient, c.deficit
      FROM events e JOIN efi_codes c ON e.snomed_code = c.code
      WHERE e.date <= DATE '${asOf}' AND e.patient IN (SELECT patient FROM old)),
    poly AS (
      SELECT m.patient, '${polypharmacy.deficit}' AS deficit
      FROM medications m
      WHERE m.date <= DATE '${asOf}' AND m.date > DATE '${asOf}' - INTERVAL ${window} DAY
        AND m.patient IN (SELECT patient FROM old)
      GROUP BY m.patient HAVING count(DISTINCT m.dmd_code) >= ${drugs}),
    n AS (
      SELECT o.practice_code, o.patient, count(d.deficit) AS n
      FROM old o LEFT JOIN (SELECT * FROM coded UNION ALL SELECT * FROM poly) d USING (patient)
      GROUP BY ALL)
    SELECT practice_code, CASE ${categorySql} END AS category, count(*) AS patients
    FROM n GROUP BY ALL;`);

const dump = async (table, file) => {
  const reader = await db.runAndReadAll(`SELECT * FROM ${table} ORDER BY ALL`);
  const columns = reader.columnNames();
  const rows = reader.getRows().map((r) => r.map((v) => String(v)).join(','));
  fs.writeFileSync(path.join(outDir, file), [columns.join(','), ...rows].join('\n') + '\n');
};
await dump('register_counts', 'registers.csv');
await dump('multimorbidity_counts', 'multimorbidity.csv');
await dump('frailty_counts', 'frailty.csv');
const population = Number((await db.runAndReadAll('SELECT count(*) FROM pop')).getRows()[0][0]);
console.log(JSON.stringify({ load_seconds: load, analysis_seconds: analysis, population,
  categories: categories.map((c) => c.category) }));
