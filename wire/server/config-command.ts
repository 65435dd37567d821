// `tessera config check FILE` and `tessera config print`: the config resolved exactly as `serve`
// resolves it (server-config.ts), without opening an engine or a port.

import { effectiveConfig, resolveConfig, type ConfigSources } from './server-config';
import { ServerError, reasonOf } from './server-errors';

export type ConfigCommand =
  | { action: 'check'; file: string; flags: ConfigSources['flags'] }
  | { action: 'print'; flags: ConfigSources['flags'] };

export function runConfigCommand(command: ConfigCommand): number {
  if (command.action === 'print') {
    const { config, warnings } = resolveConfig({ flags: command.flags, env: process.env });
    for (const warning of warnings) process.stderr.write(`tessera: warning: ${warning}\n`);
    process.stdout.write(`${JSON.stringify(effectiveConfig(config), null, 2)}\n`);
    return 0;
  }
  const { file } = command;
  try {
    // Only the file (and --insecure): what the file says, not what this shell's environment adds.
    const { warnings } = resolveConfig({ flags: { ...command.flags, config: file }, env: {} });
    for (const warning of warnings) process.stdout.write(`${file}: warning: ${warning}\n`);
    process.stdout.write(`${file}: ok\n`);
    return 0;
  } catch (error: unknown) {
    const problems = error instanceof ServerError && error.problems.length > 0 ? error.problems : [reasonOf(error).replace(/^invalid config: /, '')];
    for (const problem of problems) process.stderr.write(`${file}: ${problem}\n`);
    return 1;
  }
}
