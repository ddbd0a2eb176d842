/** Writes contracts/schemas/<type>.json; `npm run schemas` after changing a public contract. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { publicJsonSchemas } from './json-schemas.js';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.json')) rmSync(new URL(file, `file://${dir}`));
const schemas = publicJsonSchemas();
for (const [type, schema] of Object.entries(schemas)) {
  writeFileSync(`${dir}${type}.json`, `${JSON.stringify(schema, null, 2)}\n`);
}
process.stdout.write(`wrote ${Object.keys(schemas).length} schemas to ${dir}\n`);
