// Browser-test harness: starts `loupe serve --port 0` on a temp dir, drives it over HTTP (admin
// bootstrap token) and through headless Chromium (playwright-core + Debian's /usr/bin/chromium).
// No sleeps: everything waits on a condition with a deadline and says what it expected.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const LOUPE_BIN = process.env.LOUPE_BIN;
export const ARTIFACTS = process.env.LOUPE_ARTIFACTS_DIR || join(process.cwd(), 'test-artifacts');
const CHROMIUM = process.env.LOUPE_CHROMIUM || '/usr/bin/chromium';

export class ExpectationError extends Error {}

export function expect(cond, message) {
  if (!cond) throw new ExpectationError(message);
}

export function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new ExpectationError(`${what}: expected ${e}, got ${a}`);
}

// Polls `probe` (async, returns a truthy value when done) until `timeoutMs`; returns its value.
export async function waitFor(probe, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let delay = 25;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new ExpectationError(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

// ---- the server -------------------------------------------------------------------------------

export class Loupe {
  constructor() {
    if (!LOUPE_BIN) throw new Error('LOUPE_BIN is not set (CTest sets it to the loupe binary)');
    this.dir = mkdtempSync(join(tmpdir(), 'loupe-web-'));
    this.token = `lt_${randomBytes(24).toString('hex')}`;
    this.adminPassword = `admin-${randomBytes(9).toString('hex')}`;
    this.url = '';
    this.child = null;
    this.log = '';
  }

  async start() {
    const args = ['serve', '--port', '0', '--data', join(this.dir, 'data'), '--log-level', 'warn'];
    if (process.env.LOUPE_WEB_DIR) args.push('--web-dir', process.env.LOUPE_WEB_DIR);
    this.child = spawn(LOUPE_BIN, args, {
      env: {
        ...process.env,
        LOUPE_ADMIN_PASSWORD: this.adminPassword,
        LOUPE_BOOTSTRAP_TOKEN: this.token,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d) => (this.log += d.toString()));
    let out = '';
    this.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`loupe did not print its port in 60 s:\n${out}\n${this.log}`)), 60000);
      this.child.stdout.on('data', (d) => {
        out += d.toString();
        const m = out.match(/loupe listening on (http:\/\/[^\s]+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      this.child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`loupe exited with ${code} before listening:\n${out}\n${this.log}`));
      });
    });
    await waitFor(async () => (await fetch(`${this.url}/healthz`)).ok, '/healthz', 30000);
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  // An API call with the admin token; returns {status, body (parsed JSON or text), headers}.
  async call(method, path, body, { token = this.token, contentType } = {}) {
    const headers = { Authorization: `Bearer ${token}` };
    let payload;
    if (body instanceof Uint8Array || typeof body === 'string') {
      payload = body;
      headers['Content-Type'] = contentType || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  // Like call(), but fails the test unless the status is one of `ok`.
  async must(method, path, body, ok = [200, 201, 202, 204], opts) {
    const r = await this.call(method, path, body, opts);
    if (!ok.includes(r.status)) {
      throw new ExpectationError(`${method} ${path}: expected HTTP ${ok.join('/')}, got ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.body;
  }

  async createUser(name, role, password, teams = ['default']) {
    return this.must('POST', '/v1/users', { Name: name, Role: role, Password: password, Teams: teams }, [200, 201]);
  }

  // Runs the loupe CLI (offline commands, or client commands against this server).
  cli(args) {
    const r = spawnSync(LOUPE_BIN, args, {
      env: { ...process.env, LOUPE_SERVER: this.url, LOUPE_TOKEN: this.token },
      encoding: 'utf8',
      timeout: 300000,
    });
    if (r.status !== 0) throw new ExpectationError(`loupe ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }
}

// ---- the browser ------------------------------------------------------------------------------

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-component-update',
      '--disable-background-networking',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--metrics-recording-only',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
    ],
  });
}

const openPages = new Set();

// A fresh context + page that records console errors and dialogs (tests assert on them). The
// runner closes it after the test (after a screenshot if the test failed).
export async function newPage(browser, loupe, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ baseURL: loupe.url, viewport });
  const page = await context.newPage();
  openPages.add(page);
  page.setDefaultTimeout(20000);
  page.dialogs = [];
  page.consoleErrors = [];
  page.pageErrors = [];
  page.on('dialog', async (d) => {
    page.dialogs.push(d.message());
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.pageErrors.push(String(e)));
  return { context, page };
}

export async function login(page, user, password) {
  await page.goto('/login');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('.topbar .user-name');
  const shown = await page.textContent('.topbar .user-name');
  expectEqual(shown, user, 'signed-in user shown in the top bar');
}

export async function screenshot(page, name, fullPage = false) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

// ---- test data --------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// An RGB PNG of w x h whose pixels come from pixel(x, y) -> [r, g, b].
export function png(w, h, pixel) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(x, y);
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A deterministic pseudo-random generator (tests are repeatable).
export function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// 128x128: a red disc or blue stripes on a random background (as tests/e2e/serving_e2e_test.cc).
export function patternPng(disc, seed) {
  const r = rng(seed);
  const bg = [r() * 256, r() * 256, r() * 256].map(Math.floor);
  const cx = 40 + Math.floor(r() * 48);
  const cy = 40 + Math.floor(r() * 48);
  const rad = 20 + Math.floor(r() * 15);
  return png(128, 128, (x, y) => {
    const inside = disc ? (x - cx) ** 2 + (y - cy) ** 2 < rad * rad : Math.floor(x / 8) % 2 === 0 && Math.abs(y - cy) < rad;
    if (!inside) return bg;
    return disc ? [230, 20, 20] : [20, 20, 230];
  });
}

export function writeFile(path, bytes) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

// ---- the runner -------------------------------------------------------------------------------

const tests = [];
export function test(name, fn) {
  tests.push({ name, fn });
}

// Runs the registered tests in order against one server and one browser; prints one line per
// test and the closing "N passed, N failed" line; exits non-zero on any failure.
export async function run() {
  const only = process.env.WEB_TEST_FILTER ? new RegExp(process.env.WEB_TEST_FILTER) : null;
  const loupe = new Loupe();
  let browser;
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  try {
    await loupe.start();
    browser = await launchBrowser();
    for (const t of tests) {
      if (only && !only.test(t.name)) continue;
      const t0 = Date.now();
      try {
        await t.fn({ loupe, browser });
        // An uncaught exception in the console is a failure even if the page looked right.
        const thrown = [...openPages].flatMap((p) => p.pageErrors);
        if (thrown.length) throw new ExpectationError(`uncaught errors in the page: ${thrown.join(' | ')}`);
        // The console must work under its own strict Content-Security-Policy.
        const csp = [...openPages].flatMap((p) => p.consoleErrors).filter((m) => /Content Security Policy/i.test(m));
        if (csp.length) throw new ExpectationError(`CSP violations: ${csp.join(' | ')}`);
        passed++;
        console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        // What the browser showed when it failed.
        for (const [i, page] of [...openPages].entries()) {
          await screenshot(page, `FAILED-${t.name.split(':')[0]}-${i}`, true).catch(() => {});
          if (page.consoleErrors.length) console.log(`     browser console: ${page.consoleErrors.join(' | ')}`);
        }
        console.log(`FAIL ${t.name} (${Date.now() - t0} ms)\n     ${e instanceof ExpectationError ? e.message : e.stack}`);
      } finally {
        for (const page of openPages) await page.context().close().catch(() => {});
        openPages.clear();
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${e.stack}\n${loupe.log.slice(-4000)}`);
  } finally {
    await browser?.close().catch(() => {});
    await loupe.stop().catch(() => {});
  }
  console.log(`web console: ${(Date.now() - started) / 1000} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
