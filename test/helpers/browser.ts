// A real headless Chromium for the dashboard's tests, driven by playwright-core: the one
// RALPH_CHROMIUM names, else the Chromium shipped inside the @sparticuz/chromium dev dependency
// (pinned; `npm ci` installs it, so `npm ci && npm test` needs nothing else), else a system one
// (Debian's `chromium`). Without any the tests fail, saying how to install one: never skipped.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { ROOT } from './index.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/chromium-headless-shell'];

async function findChromium(): Promise<string> {
  const given = process.env.RALPH_CHROMIUM;
  if (given) return given;
  try {
    const shipped = (await import('@sparticuz/chromium')).default;
    // Its own `args` are for AWS Lambda (web security off, one process): not used.
    return await shipped.executablePath();
  } catch {
    const found = CANDIDATES.find((path) => existsSync(path));
    if (!found)
      throw new Error(
        'No Chromium for the browser tests: run `npm ci` (it installs @sparticuz/chromium), or `apt-get install -y chromium`, or name one in RALPH_CHROMIUM',
      );
    return found;
  }
}

export async function launchBrowser(): Promise<Browser> {
  // As root (CI), Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: await findChromium(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Where the tests' screenshots go (the README names it). */
export function screenshotPath(name: string): string {
  const dir = join(ROOT, 'test-artifacts', 'dashboard');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
