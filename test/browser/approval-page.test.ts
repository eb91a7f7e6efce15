/**
 * The approval page in a real browser: Debian's Chromium driven by playwright-core, against the
 * local page on 127.0.0.1. A mail scanner's visit (HEAD, GET, and a headless browser that loads
 * the page and runs whatever it runs) decides nothing; a person who opens the emailed link,
 * reads the plan and clicks Approve gets the fix.
 *
 * `.ci/run` installs Chromium (apt package `chromium`); on a machine without it, and outside CI,
 * these tests are reported as skipped rather than run.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestApprovalLink } from '../../local/approval/decide.js';
import { defaultConfig } from '../../local/defaults.js';
import { LocalEnvironment } from '../../local/environment.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { sampleEvent, tempStateDir, world } from '../workflow/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The machine's network is closed: no background calls home, no sandbox (CI runs as root).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** A run in mode approve, waiting on the approval of a public bucket policy. */
async function waitingApproval() {
  const config = { ...defaultConfig(), modes: { default: 'approve' as const, bySeverity: {}, byBucket: {} } };
  const environment = await LocalEnvironment.open({ stateDir: await tempStateDir(), world: world(), config });
  const event = sampleEvent('put-bucket-policy-public');
  applyEventToWorld(environment.sandbox, event);
  const waiting = new Promise<void>((resolve) => environment.taskTokens.onWait(() => resolve()));
  const execution = environment.runner.start(event);
  await waiting;
  const link = latestApprovalLink(environment.sandbox.outbox);
  if (!link) throw new Error('no approval link was emailed');
  const approvalId = new URL(link).pathname.split('/').at(-1) ?? '';
  const status = async () => (await environment.deps.approvals?.get(approvalId))?.status;
  const close = async () => {
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    await environment.close();
  };
  return { environment, execution, link, status, close };
}

describe.skipIf(!available && !process.env.CI)('the approval page in Chromium', () => {
  it('decides nothing when a mail scanner fetches the link and renders the page', async () => {
    const run = await waitingApproval();
    try {
      await fetch(run.link, { method: 'HEAD' });
      await fetch(run.link);
      const page = await browser.newPage();
      await page.goto(run.link, { waitUntil: 'networkidle' });
      expect(await page.content()).toContain('acme-public-assets');
      await page.close();

      expect(await run.status()).toBe('PENDING');
      expect(run.environment.taskTokens.waiting()).toHaveLength(1);
    } finally {
      await run.close();
    }
  });

  it('lets a person open the emailed link, read the plan, approve, and see the result', async () => {
    const run = await waitingApproval();
    try {
      const page = await browser.newPage();
      await page.goto(run.link);
      const text = await page.locator('body').innerText();
      expect(text).toContain('acme-public-assets');
      expect(text).toMatch(/PublicReadGetObject|statement/);
      await page.fill('textarea[name="reason"]', 'not meant to be public');
      await Promise.all([page.waitForURL(/\/done\?/), page.click('button[value="APPROVED"]')]);
      expect(await page.locator('body').innerText()).toMatch(/approved/i);
      await page.close();

      const record = await run.execution;
      expect(record.status).toBe('SUCCEEDED');
      expect(record.path).toContain('RemediateExposure');
      expect(await run.status()).toBe('APPROVED');
    } finally {
      await run.close();
    }
  });
});
