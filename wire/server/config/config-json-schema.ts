// config.schema.json (repository root) is generated from config-schema.ts: run
//   node dist/wire/server/config/config-json-schema.js --write
// after changing the schema; config-json-schema.test.ts fails while the committed file is stale.
// Editors validate and complete a config file that names it: "$schema": "./config.schema.json".

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configFileSchema } from './config-schema';

/** The repository root, from dist/wire/server/config or wire/server/config. */
export const configJsonSchemaPath = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../../..' : '../../..', 'config.schema.json');

export function configJsonSchemaText(): string {
  // io: 'input' describes what a file may hold (a size is a number or a "512MiB" string), not
  // what the parser makes of it.
  const schema = z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'Tessera config file', description: 'tessera serve --config FILE; see README.md, Configuration' }, null, 2)}\n`;
}

if (require.main === module) {
  if (process.argv.includes('--write')) writeFileSync(configJsonSchemaPath, configJsonSchemaText());
  else process.stdout.write(configJsonSchemaText());
}
