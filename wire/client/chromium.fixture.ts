// Test support (not a test): Debian's headless Chromium driven by playwright-core, with a fresh
// profile in a temp dir that is removed on close. Chromium comes from apt (`chromium`, listed in
// .ci/run); this never downloads a browser. A missing Chromium throws, so a browser test fails
// loudly instead of skipping.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const launchTimeoutMs = 30_000;

export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<HeadlessChromium> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      timeout: launchTimeoutMs,
    });
  } catch (error: unknown) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close(): Promise<void> {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
