// Peer for the FHIR benchmark: reads every *.ndjson file of a directory line
// by line and parses each line with JSON.parse (V8's parser), counting
// resources by type. It maps and stores nothing, so it is a floor on the
// cost of only parsing the input, not a second implementation of the ingest.
// usage: node ndjson-parse.mjs DIR  -> prints "seconds bytes resources"
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const dir = process.argv[2];
const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();
const start = process.hrtime.bigint();
let bytes = 0;
let resources = 0;
const byType = new Map();
for (const f of files) {
  const path = join(dir, f);
  bytes += statSync(path).size;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const r = JSON.parse(line);
    resources += 1;
    byType.set(r.resourceType, (byType.get(r.resourceType) ?? 0) + 1);
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${seconds} ${bytes} ${resources}`);
