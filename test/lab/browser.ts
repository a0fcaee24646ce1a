/**
 * Helpers for the lab's end-to-end tests: build the lab, serve it on 127.0.0.1 at an
 * ephemeral port, and drive Debian's headless Chromium with playwright-core (which never
 * downloads a browser of its own).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { needTool } from '../support/tools.js';

export const CHROMIUM = '/usr/bin/chromium';
/** The checkout: the nearest folder above this (compiled) file that holds the lab. */
function findRepo(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'lab', 'vite.config.ts'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const REPO = findRepo();
/** Where the browser tests write their screenshots (ignored by git). */
export const ARTIFACTS = join(REPO, 'test-artifacts');
const CONFIG = join(REPO, 'lab', 'vite.config.ts');

/** The lab's browser tests' `skip` option: a reason locally, an error under CI (test/support/tools.ts). */
export function chromiumMissing(): string | false {
  return needTool('chromium', existsSync(CHROMIUM));
}

export interface ServedLab {
  readonly url: string;
  close(): Promise<void>;
}

/** Builds lab/ into lab/dist and serves it; the caller must close it. */
export async function buildAndServeLab(): Promise<ServedLab> {
  await build({ configFile: CONFIG, logLevel: 'warn' });
  const server: PreviewServer = await preview({
    configFile: CONFIG,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const address = server.httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => server.close(),
  };
}

export interface LaunchedBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile and none of its own network services. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'truthkit-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The lab served and Chromium launched once for a test file, as its tests reach them. */
export interface LabSession {
  /** The served lab's URL (only inside a test that runs). */
  url(): string;
  /** Chromium's context (only inside a test that runs). */
  context(): BrowserContext;
}

/**
 * Registers the file's before/after hooks: unless `skip` says why not, build and serve the lab
 * and launch Chromium before its tests (making `ARTIFACTS` for their screenshots), and close
 * both after them.
 */
export function labSession(skip: string | false): LabSession {
  let served: ServedLab | undefined;
  let browser: LaunchedBrowser | undefined;
  before(async () => {
    if (skip !== false) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    served = await buildAndServeLab();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });
  return {
    url: () => {
      if (served === undefined)
        throw new Error('the lab is not served (skipped, or outside a test)');
      return served.url;
    },
    context: () => {
      if (browser === undefined)
        throw new Error('Chromium is not launched (skipped, or outside a test)');
      return browser.context;
    },
  };
}
