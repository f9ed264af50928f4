// Peer for the ingest benchmark: DuckDB parses events.csv into a columnar
// table (typed columns, no validation beyond types). Prints seconds.
// usage: node duckdb-load-events.mjs EVENTS_CSV THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const [file, threads] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads ?? 1) });
const connection = await instance.connect();
const start = process.hrtime.bigint();
await connection.run(`CREATE TABLE events AS SELECT * FROM read_csv('${file}', header = true,
  columns = {'patient': 'VARCHAR', 'date': 'DATE', 'snomed_code': 'VARCHAR',
             'numeric_value': 'DOUBLE', 'unit': 'VARCHAR'})`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const reader = await connection.runAndReadAll('SELECT count(*) FROM events');
console.log(JSON.stringify({ seconds, rows: Number(reader.getRows()[0][0]) }));
