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
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { approveEnvironment, sampleEvent, startUntilApprovalWaits } from '../workflow/support.js';

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
  const environment = await approveEnvironment();
  const { execution, link } = await startUntilApprovalWaits(
    environment,
    sampleEvent('put-bucket-policy-public'),
  );
  const approvalId = new URL(link).pathname.split('/').at(-1) ?? '';
  const status = async () => (await environment.deps.approvals?.get(approvalId))?.status;
  return { environment, execution, link, status };
}

describe.skipIf(!available && !process.env.CI)('the approval page in Chromium', () => {
  it('decides nothing when a mail scanner fetches the link and renders the page', async () => {
    const run = await waitingApproval();
    await fetch(run.link, { method: 'HEAD' });
    await fetch(run.link);
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    await page.goto(run.link, { waitUntil: 'networkidle' });
    expect(await page.content()).toContain('acme-public-assets');

    expect(await run.status()).toBe('PENDING');
    expect(run.environment.taskTokens.waiting()).toHaveLength(1);
  });

  it('lets a person open the emailed link, read the plan, approve, and see the result', async () => {
    const run = await waitingApproval();
    const page = await browser.newPage();
    onTestFinished(() => page.close());
    await page.goto(run.link);
    const text = await page.locator('body').innerText();
    expect(text).toContain('acme-public-assets');
    expect(text).toMatch(/PublicReadGetObject|statement/);
    await page.fill('textarea[name="reason"]', 'not meant to be public');
    await Promise.all([page.waitForURL(/\/done\?/), page.click('button[value="APPROVED"]')]);
    expect(await page.locator('body').innerText()).toMatch(/approved/i);

    const record = await run.execution;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toContain('RemediateExposure');
    expect(await run.status()).toBe('APPROVED');
  });
});
