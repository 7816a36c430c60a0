// What the screens' browser tests stand on: a real `salonq serve` on 127.0.0.1 (a fresh data directory, stopped
// and removed at the end), tokens minted by the real CLI, the API called over real HTTP, and Debian's chromium
// driven by playwright-core with the flags the issue lists and a fresh profile.
import {spawn, execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import net from 'node:net';
import {join} from 'node:path';

export const binary = process.env.SALONQ_BINARY;
export const modules = process.env.SALONQ_BROWSER_MODULES;
export const artifacts = process.env.SALONQ_ARTIFACTS || join(tmpdir(), 'salonq-screens');
if (!binary || !modules) throw new Error('set SALONQ_BINARY and SALONQ_BROWSER_MODULES (test/CMakeLists.txt does)');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
  constructor() {
    this.data = mkdtempSync(join(tmpdir(), 'salonq-browser-'));
    this.port = 0;
    this.proc = null;
  }

  // Starts serve (on the port it had before, after a restart) and waits for "serving http://…".
  async start() {
    const out = [];
    this.proc = spawn(binary, ['--data', this.data, '--log-level', 'warn', 'serve', '--listen', `127.0.0.1:${this.port}`],
      {stdio: ['ignore', 'pipe', 'pipe']});
    this.proc.stderr.on('data', (d) => out.push(String(d)));
    const url = await new Promise((resolve, reject) => {
      let text = '';
      this.proc.stdout.on('data', (d) => {
        text += d;
        const m = /serving (http:\/\/[^\s]+)/.exec(text);
        if (m) resolve(m[1]);
      });
      this.proc.on('exit', (code) => reject(new Error(`serve exited (${code}): ${out.join('')}`)));
    });
    this.url = url.replace(/\/$/, '');
    this.port = Number(new URL(this.url).port);
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGTERM');
    await done;
  }

  async kill9() {
    const done = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGKILL');
    await done;
  }

  remove() {
    rmSync(this.data, {recursive: true, force: true});
  }

  token(...args) {
    return execFileSync(binary, ['--data', this.data, 'token', 'issue', ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  }

  // Calls the API; resolves to {status, body}.
  async call(token, method, path, body, headers = {}) {
    const res = await fetch(this.url + path, {method, headers: {Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json', ...headers}, body: body === undefined ? undefined : JSON.stringify(body)});
    const text = await res.text();
    return {status: res.status, body: text ? JSON.parse(text) : null};
  }
}

// A salon with a catalogue and staff on duty: ana (owner), max (manager), sam (staff).
export async function openSalon(server, admin, salon, {priorityDailyLimit} = {}) {
  const must = async (method, path, body) => {
    const r = await server.call(admin, method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await must('PUT', `/v1/salons/${salon}`, {name: 'Browser Cuts', timezone: 'Europe/London'});
  await must('PATCH', `/v1/salons/${salon}/config`, {
    ...(priorityDailyLimit === undefined ? {} : {priorityDailyLimit}),
    services: [
      {code: 'HC', name: 'Haircut', priceCents: 2500, durationMin: 30},
      {code: 'BT', name: 'Beard trim', priceCents: 1200, durationMin: 15},
    ]});
  for (const [staffId, name, role] of [['ana', 'Ana', 'owner'], ['max', 'Max', 'manager'], ['sam', 'Sam', 'staff']]) {
    await must('POST', `/v1/salons/${salon}/staff`, {staffId, name, role});
    await must('POST', `/v1/salons/${salon}/staff/${staffId}/clock-in`);
  }
}

// chromium with the flags the issue lists; playwright gives it a fresh profile (--user-data-dir) of its own.
// Two contexts: the pages as users get them, and one that lets axe-core's script in past the pages' CSP.
export async function launchBrowser() {
  const {chromium} = await import(join(modules, 'playwright-core', 'index.mjs'));
  const browser = await chromium.launch({
    executablePath: process.env.SALONQ_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({viewport: {width: 1366, height: 768}});
  const audit = await browser.newContext({viewport: {width: 1366, height: 768}, bypassCSP: true});
  return {context, audit, newContext: (options) => browser.newContext(options), close: () => browser.close()};
}

// Opens a page, failing the test on any script error or any request the page's CSP refused.
// `prepare(page)` runs before the page loads (routes, say).
export async function open(context, url, viewport, prepare) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  if (prepare) await prepare(page);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, {recursive: true});
  await page.screenshot({path: join(artifacts, `${name}.png`), fullPage: true});
}

// Runs axe-core in the page (level A and AA rules); resolves to its violations.
export async function axe(page) {
  await page.addScriptTag({path: join(modules, 'axe-core', 'axe.min.js')});
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
    return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
  });
  return result;
}

// A TCP relay in front of the server, whose network can drop silently: dropSilently() stops every connection open
// then from carrying a byte either way, without a close or a reset (a Wi-Fi that reassociates, a router that
// restarts); new connections meanwhile go nowhere. restore() brings the network back for new connections: the
// connection that held a live stream (its last request was GET …/live) stays dead and silent, as it is after such a
// drop; the others, idle in the browser's pool, are reset, so a reconnect is not a second silence on a reused one.
export class DroppingRelay {
  constructor(port) {
    this.port = port;
    this.links = new Set();
    this.down = false;
  }

  async start() {
    this.server = net.createServer((client) => this.link(client));
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  link(client) {
    const link = {client, upstream: null, dead: this.down, live: false};
    this.links.add(link);
    client.on('error', () => {});
    client.on('close', () => { link.upstream?.destroy(); this.links.delete(link); });
    if (link.dead) return;
    link.upstream = net.connect(this.port, '127.0.0.1');
    link.upstream.on('error', () => {});
    link.upstream.on('close', () => { if (!link.dead) client.destroy(); });
    client.on('data', (d) => {
      if (link.dead) return;
      const request = /^[A-Z]+ (\S+) HTTP/.exec(d.toString('latin1', 0, 200));
      if (request) link.live = /\/live(\?|$)/.test(request[1]);
      link.upstream.write(d);
    });
    link.upstream.on('data', (d) => { if (!link.dead) client.write(d); });
  }

  dropSilently() {
    this.down = true;
    for (const link of this.links) link.dead = true;
  }

  restore() {
    this.down = false;
    for (const link of this.links) if (!link.live) link.client.destroy();
  }

  async close() {
    for (const link of this.links) { link.client.destroy(); link.upstream?.destroy(); }
    await new Promise((r) => this.server.close(r));
  }
}

export {sleep};
