// Reads and validates a config file against the one schema (config-schema.ts). Every problem is
// reported, each naming its path, so one `tessera config check` shows them all.

import { ServerError, reasonOf } from '../server-errors';
import { configFileSchema, describeIssues, type ConfigFile } from './config-schema';

export function readConfigFile(file: string, readFile: (file: string) => string): ConfigFile {
  let text: string;
  try {
    text = readFile(file);
  } catch (error: unknown) {
    throw new ServerError('ConfigUnreadable', `cannot read config file ${file}: ${reasonOf(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    // Not reasonOf(error): V8's message quotes the text it choked on, and a file given by mistake
    // (a key, a token list) should not have its first bytes copied into logs. A position is enough.
    const position = /position (\d+)/.exec(reasonOf(error))?.[1];
    throw new ServerError('ConfigInvalid', `config file ${file} is not valid JSON${position === undefined ? '' : ` (at byte ${position})`}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServerError('ConfigInvalid', `invalid config: ${file} must hold a JSON object`, { problems: ['(the file) must hold a JSON object'] });
  }
  const result = configFileSchema.safeParse(parsed);
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues);
  throw new ServerError('ConfigInvalid', `invalid config ${file}: ${problems.join('; ')}`, { problems });
}
