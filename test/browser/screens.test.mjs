// The screens in a real browser against a real server (label `browser`): the board and the console together,
// the customer's page, a server killed and restarted under an open board, a network that drops silently, the
// console's stale-view and double-click cases, touch targets, the owner view over past periods, sign-in, and
// axe-core over every page and the states that matter (dialogs, the customer's page in each state, a full board,
// a past period). Screenshots of every page at 1366x768 and 1920x1080 go to $SALONQ_ARTIFACTS.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {Server, DroppingRelay, openSalon, launchBrowser, open, screenshot, axe, sleep, binary} from './harness.mjs';

const salon = 'browser';
const server = new Server();
let browser;
let admin;
let tokens;
let board;
let consolePage;

const pageUrl = (path, token) => `${server.url}${path}?salon=${salon}#token=${encodeURIComponent(token)}`;
const boardTokens = (page, list) => page.locator(`#${list} .token`).allTextContents();
const queue = async () => (await server.call(admin, 'GET', `/v1/salons/${salon}/queue`)).body;

async function walkIn(name, services = ['HC']) {
  const r = await server.call(tokens.pos, 'POST', `/v1/salons/${salon}/walk-ins`, {customer: {name}, services});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.ticket;
}

// A page has drawn what it shows: its stream is live (board, console), its data is in (owner, customer), or it
// asks for a token.
async function settled(page) {
  await page.locator('[data-state="live"], .signin, .figure, .empty, #token, .screens').first().waitFor({timeout: 10000});
  await sleep(300); // the last paint of what came with it
}

// The row of a ticket in one of the console's tables.
const row = (page, list, token) => page.locator(`#${list} tr`, {has: page.locator('.token', {hasText: token})});

// A salon with history: three simulated days from 2026-11-02 (engine/sim), written before the server starts.
const past = 'past-0001';
const pastDays = {from: '2026-11-01', to: '2026-11-05'};

before(async () => {
  execFileSync(binary, ['--data', server.data, 'simulate', '--salons', '1', '--days', '3', '--prefix', 'past', '--quiet'],
    {stdio: 'ignore'});
  await server.start();
  admin = server.token('--role', 'admin', '--all-salons', '--ttl', '1h');
  await openSalon(server, admin, salon, {priorityDailyLimit: 1});
  tokens = {
    dashboard: server.token('--role', 'dashboard', '--salon', salon, '--ttl', '1h'),
    manager: server.token('--role', 'manager', '--salon', salon, '--staff', 'max', '--ttl', '1h'),
    owner: server.token('--role', 'owner', '--salon', salon, '--staff', 'ana', '--ttl', '1h'),
    pos: server.token('--role', 'pos', '--salon', salon, '--sub', 'desk', '--ttl', '1h'),
  };
  browser = await launchBrowser();
  board = await open(browser.context, pageUrl('/board', tokens.dashboard), {width: 1920, height: 1080});
  consolePage = await open(browser.context, pageUrl('/console', tokens.manager));
  await board.locator('#state[data-state="live"]').waitFor();
  await consolePage.locator('#state[data-state="live"]').waitFor();
});

after(async () => {
  for (const page of [board, consolePage]) {
    if (page) assert.deepEqual(page.problems, [], 'no script errors, nothing refused by the CSP');
  }
  if (browser) await browser.close();
  await server.stop();
  server.remove();
});

test('the token leaves the address bar and stays for the tab', async () => {
  assert.equal(new URL(board.url()).hash, '');
  assert.equal(await board.evaluate(() => sessionStorage.getItem('salonq.token') !== null), true);
});

test('the index names the salon and offers the screens its role may open', async () => {
  const links = async (token) => {
    const page = await open(browser.context, `${server.url}/#token=${encodeURIComponent(token)}`);
    await page.locator('#main h2', {hasText: 'Browser Cuts'}).waitFor();
    assert.equal(await page.locator('#main h2').textContent(), 'Browser Cuts (browser)');
    const hrefs = await page.locator('nav.screens a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(page.problems, []);
    await page.close();
    return hrefs.map((href) => href.split('?')[0]);
  };
  assert.deepEqual(await links(tokens.owner), ['/board', '/console', '/owner']);
  assert.deepEqual(await links(tokens.dashboard), ['/board']);
});

test('a walk-in added in the console is on the board within a second, then started and completed', async () => {
  await consolePage.fill('#customer-name', 'Dana');
  await consolePage.check('#services input[value="HC"]');
  const clicked = Date.now();
  await consolePage.click('#walk-in-submit');
  const issued = consolePage.locator('#issued .token');
  await issued.waitFor();
  const token = await issued.textContent();
  const qr = consolePage.locator('#issued img.qr');
  await qr.waitFor();
  await consolePage.waitForFunction(() => document.querySelector('#issued img.qr').naturalWidth > 0);
  assert.ok((await consolePage.inputValue('#issued-link')).startsWith(`${server.url}/t/${salon}/`),
    'the customer\'s page, at the address the console used');
  await board.locator('#next .token', {hasText: token}).waitFor({timeout: 1000});
  const onBoard = Date.now() - clicked;
  console.log(`walk-in ${token}: on the board ${onBoard} ms after the click`);
  assert.ok(onBoard <= 1000, `on the board after ${onBoard} ms`);

  await row(consolePage, 'waiting', token).getByRole('button', {name: `Start ${token}`, exact: true}).click();
  assert.equal(await consolePage.inputValue('#start-staff'), 'max', 'at the desk: who serves, the worker first');
  await consolePage.click('#dialog-ok');
  await board.locator('#serving .token', {hasText: token}).waitFor({timeout: 2000});
  assert.match(await board.locator('#serving li', {hasText: token}).textContent(), /with Max/);

  await row(consolePage, 'serving', token).getByRole('button', {name: `Complete ${token}`}).click();
  assert.equal(await consolePage.inputValue('#amount'), '25.00');
  await consolePage.fill('#amount', '30');
  await consolePage.click('#dialog-ok');
  await board.locator('#serving .token', {hasText: token}).waitFor({state: 'detached', timeout: 2000});
  const ended = (await queue()).recentlyEnded.find((t) => t.token === token);
  assert.equal(ended.status, 'completed');
});

test('a double click on "Add to the queue" adds one ticket', async () => {
  const before = (await queue()).waiting.length;
  await consolePage.fill('#customer-name', 'Eli');
  await consolePage.check('#services input[value="BT"]');
  await consolePage.dblclick('#walk-in-submit');
  await consolePage.locator('#issued .token').waitFor();
  await sleep(500);
  const after = (await queue()).waiting;
  assert.equal(after.length, before + 1, 'one ticket for two clicks');
  assert.equal(after.filter((t) => t.name === 'Eli').length, 1);
});

test('a second priority start over the daily limit shows the rejection in plain words', async () => {
  const first = await walkIn('Fay');
  const second = await walkIn('Gil');
  await consolePage.locator('#waiting .token', {hasText: second.token}).waitFor();
  const priority = async (t) => {
    await row(consolePage, 'waiting', t.token).getByRole('button', {name: `Priority start ${t.token}`}).click();
    await consolePage.selectOption('#priority-reason', 'senior_citizen');
    await consolePage.selectOption('#priority-staff', 'sam');
    await consolePage.click('#dialog-ok');
  };
  await priority(first);
  await board.locator('#serving .token', {hasText: first.token}).waitFor({timeout: 2000});
  await consolePage.locator('#priority-used', {hasText: '1/1'}).waitFor();
  const done = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${first.ticketId}/complete`, {});
  assert.equal(done.status, 200);
  await consolePage.locator('#serving .token', {hasText: first.token}).waitFor({state: 'detached'});
  await priority(second);
  await consolePage.locator('#toast .error', {hasText: 'Daily priority limit reached (1/1).'}).waitFor({timeout: 2000});
  assert.equal((await queue()).waiting.some((t) => t.ticketId === second.ticketId), true, 'still waiting');
});

test('a stale view (412) refreshes and says so, and nothing else is started', async () => {
  const t = await walkIn('Hal');
  // A console whose stream keeps showing the queue as it is now (each reconnect gets the same frame)…
  const stale = await queue();
  const frame = `id: ${stale.seq}\nevent: view\ndata: ${JSON.stringify(stale)}\n\n`;
  const page = await browser.context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(e.message));
  await page.route('**/live', (route) => route.fulfill({status: 200, contentType: 'text/event-stream', body: frame}));
  await page.goto(pageUrl('/console', tokens.manager));
  await row(page, 'waiting', t.token).waitFor();
  const late = await walkIn('Ida'); // …while the queue changes
  await row(page, 'waiting', t.token).getByRole('button', {name: `Start ${t.token}`, exact: true}).click();
  await page.click('#dialog-ok');
  await page.locator('#toast .error', {hasText: 'The queue changed while you were deciding'}).waitFor({timeout: 3000});
  await page.locator('#waiting .token', {hasText: late.token}).waitFor({timeout: 3000}); // the fresh view
  assert.equal((await queue()).waiting.some((w) => w.ticketId === t.ticketId), true, 'not started');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a change while a dialog is open is a 412: the worker decided on the queue as it was', async () => {
  const t = await walkIn('Ina');
  await row(consolePage, 'waiting', t.token).waitFor();
  await row(consolePage, 'waiting', t.token).getByRole('button', {name: `Skip ${t.token}`}).click();
  await consolePage.locator('#dialog[open]').waitFor();
  const late = await walkIn('Jan'); // the queue changes behind the dialog…
  await row(consolePage, 'waiting', late.token).waitFor(); // …and the console's view with it
  await consolePage.click('#dialog-ok');
  await consolePage.locator('#toast .error', {hasText: 'The queue changed while you were deciding'}).waitFor({timeout: 3000});
  assert.equal((await queue()).skipped.some((x) => x.ticketId === t.ticketId), false, 'not skipped');
});

test('a lost answer retried is decided once (same Idempotency-Key); another walk-in gets another key', async () => {
  const keys = [];
  let lose = true;
  await consolePage.route('**/walk-ins', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (!lose) return route.continue();
    await route.fetch(); // the server decides it…
    return route.abort('connectionreset'); // …and the answer is lost on the way back
  });
  const count = async (name) => (await queue()).waiting.filter((x) => x.name === name).length;
  await consolePage.fill('#customer-name', 'Kai');
  await consolePage.check('#services input[value="HC"]');
  await consolePage.click('#walk-in-submit');
  await consolePage.locator('#toast .error', {hasText: 'cannot be reached'}).waitFor();
  lose = false;
  await consolePage.evaluate(() => document.querySelector('#issued').replaceChildren());
  await consolePage.click('#walk-in-submit'); // the form is as it was: the same command again
  await consolePage.locator('#issued .token').waitFor();
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], 'the retry carries the first key');
  assert.equal(await count('Kai'), 1, 'one ticket');
  await consolePage.fill('#customer-name', 'Lou');
  await consolePage.check('#services input[value="HC"]');
  await consolePage.evaluate(() => document.querySelector('#issued').replaceChildren());
  await consolePage.click('#walk-in-submit');
  await consolePage.locator('#issued .token').waitFor();
  assert.notEqual(keys[2], keys[0], 'another command, another key');
  assert.equal(await count('Lou'), 1);
  await consolePage.unroute('**/walk-ins');
});

test('skip (a blank reason refused in plain words), undo-skip and cancel; the customer page says each', async () => {
  const t = await walkIn('Mo');
  const phone = await open(browser.context, server.url + t.link.replace('/v1/public/tickets/', '/t/'), {width: 360, height: 740});
  await phone.locator('#status', {hasText: 'in line'}).waitFor();
  const button = (list, name) => row(consolePage, list, t.token).getByRole('button', {name: `${name} ${t.token}`, exact: true});
  await button('waiting', 'Skip').click();
  await consolePage.fill('#skip-reason', '   ');
  await consolePage.click('#dialog-ok');
  await consolePage.locator('#toast .error', {hasText: 'Give a reason.'}).waitFor({timeout: 3000});
  assert.equal((await queue()).waiting.some((x) => x.ticketId === t.ticketId), true, 'still waiting');

  await button('waiting', 'Skip').click();
  await consolePage.fill('#skip-reason', 'Not here when called');
  await consolePage.click('#dialog-ok');
  await row(consolePage, 'skipped', t.token).waitFor({timeout: 3000});
  await board.locator('#see-desk', {hasText: t.token}).waitFor({timeout: 2000});
  await phone.locator('#status', {hasText: 'see the front desk'}).waitFor({timeout: 5000});

  await button('skipped', 'Undo skip').click();
  await row(consolePage, 'waiting', t.token).waitFor({timeout: 3000});
  await board.locator('#see-desk', {hasText: t.token}).waitFor({state: 'detached', timeout: 2000});
  await phone.locator('#status', {hasText: 'in line'}).waitFor({timeout: 5000});

  await button('waiting', 'Cancel').click();
  await consolePage.click('#dialog-ok');
  await row(consolePage, 'waiting', t.token).waitFor({state: 'detached', timeout: 3000});
  assert.equal((await queue()).recentlyEnded.find((x) => x.ticketId === t.ticketId)?.status, 'cancelled');
  await phone.locator('#status', {hasText: 'cancelled'}).waitFor({timeout: 5000});
  assert.deepEqual(phone.problems, []);
  await phone.close();

  // A customer who gave only a phone number: the desk sees "phone only", never the number.
  const r = await server.call(tokens.pos, 'POST', `/v1/salons/${salon}/walk-ins`,
    {customer: {phone: '+447700900123'}, services: ['HC']});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const anonymous = row(consolePage, 'waiting', r.body.ticket.token);
  await anonymous.waitFor({timeout: 3000});
  assert.match(await anonymous.textContent(), /phone only/);
  assert.doesNotMatch(await anonymous.textContent(), /7700|0123/);
  await anonymous.getByRole('button', {name: `Cancel ${r.body.ticket.token}`, exact: true}).click();
  await consolePage.click('#dialog-ok');
  await anonymous.waitFor({state: 'detached', timeout: 3000});
});

test('clock-out and clock-in from the console; a stylist is offered no priority start, skip or cancel', async () => {
  const onDuty = async (id) => (await queue()).staff.find((m) => m.staffId === id).onDuty;
  const sam = consolePage.locator('#staff li[data-staff="sam"]');
  await sam.getByRole('button', {name: 'Clock out Sam'}).click();
  await sam.locator('.status', {hasText: 'off duty'}).waitFor({timeout: 3000});
  assert.equal(await onDuty('sam'), false);
  await sam.getByRole('button', {name: 'Clock in Sam'}).click();
  await sam.locator('.status', {hasText: 'free'}).waitFor({timeout: 3000});
  assert.equal(await onDuty('sam'), true);

  const t = await walkIn('Ned');
  const stylist = await open(browser.context, pageUrl('/console', server.token('--role', 'staff', '--salon', salon, '--staff', 'sam', '--ttl', '1h')));
  const mine = row(stylist, 'waiting', t.token);
  await mine.waitFor();
  assert.equal(await mine.getByRole('button', {name: `Start ${t.token}`, exact: true}).count(), 1);
  for (const name of ['Priority start', 'Skip', 'Cancel']) {
    assert.equal(await mine.getByRole('button', {name: `${name} ${t.token}`}).count(), 0, `no ${name} for a stylist`);
  }
  assert.equal(await stylist.locator('#staff li[data-staff="max"] button').count(), 0, 'clocks only themselves');
  assert.equal(await stylist.locator('#staff li[data-staff="sam"] button').count(), 1);
  assert.deepEqual(stylist.problems, []);
  await stylist.close();
  const r = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/cancel`, {});
  assert.equal(r.status, 200);
});

test('the owner view shows the day, its charts, the priority audit, the accuracy and the staffing advice', async () => {
  const page = await open(browser.context, pageUrl('/owner', tokens.owner));
  await page.locator('#figures .figure').first().waitFor({timeout: 10000});
  const walkIns = Number(await page.locator('#figures .figure', {hasText: 'walk-ins'}).locator('b').textContent());
  assert.ok(walkIns >= 5, `walk-ins today: ${walkIns}`);
  for (const chart of ['#arrivals', '#waits', '#staff']) await page.locator(`${chart} svg[role="img"]`).waitFor();
  assert.match(await page.locator('#staff svg').getAttribute('aria-label'), /Served per staff member/);
  const audit = page.locator('#audit tbody tr').first();
  await audit.waitFor();
  assert.match(await audit.textContent(), /Senior citizen.*Max \(manager\).*Sam/);
  await page.locator('#accuracy table, #accuracy .empty').first().waitFor();
  assert.doesNotMatch(await page.locator('#accuracy').textContent(), /undefined|null/); // nobody sent home today
  await page.locator('#staffing p, #staffing table').first().waitFor();
  assert.doesNotMatch(await page.locator('#staffing').textContent(), /HTTP|undefined|null/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

// What the owner view shows for a period, as the test reads it: each figure by its label, each chart's caption.
async function ownerShows(page) {
  const figures = Object.fromEntries(await page.locator('#figures .figure').evaluateAll((els) =>
    els.map((el) => [el.querySelector('span').textContent, el.querySelector('b').textContent])));
  const caption = (id) => page.locator(`${id} figcaption`).textContent();
  return {figures, arrivals: await caption('#arrivals'), waits: await caption('#waits'), staff: await caption('#staff'),
    arrivalsTitle: await page.locator('#arrivals svg').getAttribute('aria-label')};
}

// What it should show for the days /stats answers (the sums over the days with visits; charts by day).
function ownerExpects(days, staffNames) {
  const sum = (f) => days.reduce((acc, d) => acc + (d[f] || 0), 0);
  const min = (ms) => (ms === null || ms === undefined ? null : Math.round(ms / 6000) / 10);
  const fmt = (v) => (v === null ? '—' : `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} min`);
  const served = new Map();
  for (const d of days) for (const x of d.staff) served.set(x.staffId, (served.get(x.staffId) || 0) + x.served);
  return {
    figures: {'walk-ins': String(sum('walkIns')), served: String(sum('served')), cancelled: String(sum('cancelled')),
      'no-shows': String(sum('noShows')), skips: String(sum('skips')), 'priority starts': String(sum('priorityStarts')),
      revenue: (sum('revenueCents') / 100).toFixed(2),
      // over the days, the busy share of all their time on duty
      'staff busy': sum('onDutyMs') > 0 ? `${Math.round((sum('busyMs') / sum('onDutyMs')) * 100)} %` : '—'},
    arrivals: days.map((d) => `${d.day.slice(5)}: walk-ins ${d.walkIns}`).join('; '),
    waits: days.map((d) => `${d.day.slice(5)}: median ${fmt(min(d.waitMs?.p50))}, 9 in 10 under ${fmt(min(d.waitMs?.p90))}`).join('; '),
    staff: [...served].map(([id, n]) => `${staffNames.get(id) || id}: served ${n}`).join('; '),
    arrivalsTitle: 'Walk-ins by day',
  };
}

async function statsOf(salonId, from, to) {
  const r = await server.call(admin, 'GET', `/v1/salons/${salonId}/stats?from=${from}&to=${to}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.days.filter((d) => d.walkIns > 0 || d.served > 0);
}

test('the owner view over a past range and over 7 days shows what /stats answers for that range', async () => {
  const names = async (salonId) => new Map((await server.call(admin, 'GET', `/v1/salons/${salonId}/queue`)).body.staff
    .map((m) => [m.staffId, m.name]));
  // A range in the past, typed in: the simulated salon's days.
  const owner = server.token('--role', 'owner', '--salon', past, '--staff', 'o1', '--ttl', '1h');
  const page = await open(browser.audit, `${server.url}/owner?salon=${past}#token=${encodeURIComponent(owner)}`);
  await page.locator('#period-title', {hasText: 'Figures for'}).waitFor({timeout: 10000});
  await page.locator('#figures .empty', {hasText: 'No visits'}).waitFor(); // today: nothing yet
  await page.fill('#from', pastDays.from);
  await page.fill('#to', pastDays.to);
  await page.click('#period button[type=submit]');
  await page.locator('#period-title', {hasText: `Figures from ${pastDays.from} to ${pastDays.to}`}).waitFor();
  await page.locator('#figures .figure').first().waitFor();
  const days = await statsOf(past, pastDays.from, pastDays.to);
  assert.ok(days.length >= 3, `simulated days with visits: ${days.length}`);
  const shown = await ownerShows(page);
  assert.deepEqual(shown, ownerExpects(days, await names(past)));
  assert.doesNotMatch(await page.locator('#figures').textContent(), /null|undefined/);
  assert.ok(Number(shown.figures['walk-ins']) > 50, 'three busy days');
  assert.equal(await page.locator('#arrivals svg text', {hasText: days[0].day.slice(5)}).count(), 1, 'a bar per day');
  assert.equal(await page.locator('#accuracy table').count(), 1);
  const range = (field) => days.reduce((acc, d) => acc + d.prediction.likelyRange[field], 0);
  const ranged = range('within') + range('before') + range('after');
  assert.ok(ranged > 50, `walk-ins told a range: ${ranged}`);
  assert.match(await page.locator('#range-held').textContent(),
    new RegExp(`^Called within the likely range they were told: ${range('within')} of ${ranged} `));
  const sentHome = days.reduce((acc, d) => acc + d.prediction.sentHome, 0);
  const toldToday = days.reduce((acc, d) => acc + d.prediction.sentHomeToldToday, 0);
  assert.ok(sentHome > 0, 'the simulated days end with customers still waiting');
  assert.match(await page.locator('#sent-home').textContent(),
    new RegExp(`^Still waiting when the day was closed: ${sentHome} walk-ins?; ${toldToday} of them had been told`));
  await screenshot(page, 'owner-past-range');
  const found = await axe(page);
  assert.deepEqual(found, [], 'axe-core after switching to a past range');
  assert.deepEqual(page.problems, []);
  await page.close();

  // The 7 days button, on the salon of these tests: today and the six days before, in the salon's time zone.
  const mine = await open(browser.context, pageUrl('/owner', tokens.owner));
  await mine.locator('#period-title', {hasText: 'Figures for'}).waitFor({timeout: 10000});
  const today = await ownerShows(mine);
  await mine.click('#period [data-days="7"]');
  await mine.locator('#period-title', {hasText: 'Figures from'}).waitFor();
  await mine.locator('#arrivals svg[aria-label="Walk-ins by day"]').waitFor();
  const from = await mine.inputValue('#from');
  const to = await mine.inputValue('#to');
  const localToday = new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/London'}).format(new Date());
  assert.equal(to, localToday);
  assert.equal((Date.parse(to) - Date.parse(from)) / 86400000, 6, `${from} to ${to}: seven days`);
  const week = await ownerShows(mine);
  assert.doesNotMatch(await mine.locator('#figures').textContent(), /null|undefined/);
  assert.deepEqual(week, ownerExpects(await statsOf(salon, from, to), await names(salon)));
  assert.notEqual(week.arrivals, today.arrivals, 'the charts changed with the period');
  assert.equal(today.figures['median wait'] !== undefined && week.figures['median wait'] === undefined, true,
    "a day's medians, not a period's");
  assert.deepEqual(mine.problems, []);
  await mine.close();
});

test('a full salon fits the board at 1366x768 and 1920x1080: every chair, eight waiting and "+ more"', async () => {
  const wall = 'wall';
  await openSalon(server, admin, wall);
  const staff = ['ana', 'max', 'sam'];
  for (const [staffId, name] of [['lee', 'Lee'], ['kim', 'Kim'], ['roy', 'Roy'], ['una', 'Una'], ['val', 'Valentina-Josephine']]) {
    assert.ok((await server.call(admin, 'POST', `/v1/salons/${wall}/staff`, {staffId, name, role: 'staff'})).status < 300);
    assert.ok((await server.call(admin, 'POST', `/v1/salons/${wall}/staff/${staffId}/clock-in`)).status < 300);
    staff.push(staffId);
  }
  for (let i = 0; i < staff.length + 10; ++i) {
    const r = await server.call(admin, 'POST', `/v1/salons/${wall}/walk-ins`, {customer: {name: `W${i}`}, services: ['HC']});
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  for (const staffId of staff) {
    const r = await server.call(admin, 'POST', `/v1/salons/${wall}/start-next`, {staffId});
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const dashboard = server.token('--role', 'dashboard', '--salon', wall, '--ttl', '1h');
  for (const viewport of [{width: 1366, height: 768}, {width: 1920, height: 1080}]) {
    const tv = await open(browser.context, `${server.url}/board?salon=${wall}#token=${encodeURIComponent(dashboard)}`, viewport);
    await tv.locator('#state[data-state="live"]').waitFor();
    await tv.locator('#serving li').nth(staff.length - 1).waitFor();
    await sleep(300);
    assert.equal(await tv.locator('#next .token').count(), 8);
    assert.match(await tv.locator('#next .more').textContent(), /\+ 2 more/);
    const size = `${viewport.width}x${viewport.height}`;
    const bottoms = await tv.evaluate(() => [...document.querySelectorAll('#serving li, #next li, footer')]
      .map((el) => el.getBoundingClientRect().bottom));
    assert.ok(Math.max(...bottoms) <= viewport.height, `${size}: everything on the screen (lowest at ${Math.max(...bottoms)} px)`);
    assert.equal(await tv.evaluate(() => document.documentElement.scrollHeight <= innerHeight), true, `${size}: nothing to scroll`);
    await screenshot(tv, `board-full-${size}`);
    assert.deepEqual(tv.problems, []);
    await tv.close();
  }
  const audited = await open(browser.audit, `${server.url}/board?salon=${wall}#token=${encodeURIComponent(dashboard)}`,
    {width: 1920, height: 1080});
  await audited.locator('#serving li').nth(staff.length - 1).waitFor();
  await audited.locator('#next .more').waitFor();
  assert.deepEqual(await axe(audited), [], 'axe-core on a full board');
  await audited.close();
});

test('a board whose token is not for its salon asks for another, in plain words', async () => {
  const elsewhere = server.token('--role', 'dashboard', '--salon', 'elsewhere', '--ttl', '1h');
  const tv = await open(browser.context, pageUrl('/board', elsewhere), {width: 1920, height: 1080});
  await tv.locator('.signin .notice', {hasText: `Your token is not for this salon. Sign in with a token for salon "${salon}".`})
    .waitFor({timeout: 5000});
  assert.equal(await tv.evaluate(() => localStorage.getItem('salonq.token')), null, 'the wrong token is forgotten');
  await tv.fill('#token', tokens.dashboard);
  await tv.click('.signin button[type=submit]');
  await tv.locator('#state[data-state="live"]').waitFor({timeout: 5000});
  assert.deepEqual(tv.problems, []);
  await tv.close();
});

test('a board opened without a salon, with a token for two, asks which one before it connects', async () => {
  const two = server.token('--role', 'dashboard', '--salon', salon, '--salon', 'elsewhere', '--ttl', '1h');
  const tv = await open(browser.context, `${server.url}/board#token=${encodeURIComponent(two)}`,
    {width: 1920, height: 1080});
  await tv.locator('.signin h2', {hasText: 'Which salon?'}).waitFor({timeout: 5000});
  assert.equal(await tv.locator('#state').isVisible(), false, 'no "Connecting…" while nothing is being connected to');
  assert.deepEqual(await tv.locator('#salon-choices button').allTextContents(), [salon, 'elsewhere']);
  await tv.fill('#salon', salon); // typed in
  await tv.click('.signin button[type=submit]');
  await tv.locator('#state[data-state="live"]').waitFor({timeout: 5000});
  assert.deepEqual(tv.problems, []);
  await tv.close();
  // or picked: one button per salon of the token
  const picked = await open(browser.context, `${server.url}/board#token=${encodeURIComponent(two)}`,
    {width: 1920, height: 1080});
  await picked.locator('#salon-choices button', {hasText: salon}).click();
  await picked.locator('#state[data-state="live"]').waitFor({timeout: 5000});
  assert.equal(new URL(picked.url()).searchParams.get('salon'), salon);
  assert.deepEqual(picked.problems, []);
  await picked.close();
});

test("a wait's likely range in words: within, between, over an hour, or nothing where it adds nothing", async () => {
  const min = 60000;
  const cases = [
    [null, null, null], [undefined, 5 * min, null], [0, 0, null], [0, 0.4 * min, null], [0, 1.2 * min, null], [12 * min, 12.2 * min, null],
    [0, 9 * min, 'likely within 9 min'], [14.6 * min, 40 * min, 'likely 15–40 min'],
    [45 * min, 80 * min, 'likely 45 min – 1 h 20 min'], [60 * min, 125 * min, 'likely 1 h – 2 h 5 min'],
    [0, 90 * min, 'likely within 1 h 30 min'],
  ];
  const got = await board.evaluate(async (all) => {
    const {rangeText} = await import('/assets/app.js');
    return all.map(([low, high]) => rangeText(low, high));
  }, cases);
  assert.deepEqual(got, cases.map((c) => c[2]));
});

test('the chance of a start today in words: nothing when certain, a chance, or "likely not today" below 1 in 10', async () => {
  const cases = [[undefined, null, false], [null, null, false], [100, null, false],
    [96, 'may not be today: about 9 in 10 chance before closing', false],
    [61, 'may not be today: about 6 in 10 chance before closing', false],
    [12, 'may not be today: about 1 in 10 chance before closing', false],
    [9, 'likely not today: the salon usually stops starting services before then', true],
    [0, 'likely not today: the salon usually stops starting services before then', true]];
  const got = await board.evaluate(async (all) => {
    const {todayText, notToday} = await import('/assets/app.js');
    return all.map(([pct]) => [todayText(pct), notToday(pct)]);
  }, cases);
  assert.deepEqual(got, cases.map((c) => [c[1], c[2]]));
});

// Late in a busy day the wait may run past the salon's usual last start: the view says so with servedTodayPct
// (docs/wait-prediction.md, "Maybe not today"). The real view and the real ticket answer, with the chances a late
// afternoon gives (a live salon's clock cannot be moved to one).
test('a wait that may be too late for today: the board, the console and the customer page say so', async () => {
  const t = await walkIn('Lou');
  const late = await queue();
  const head = late.waiting[0]; // on the board whatever the earlier tests left waiting (it shows eight)
  head.servedTodayPct = 0;
  late.joinNow.servedTodayPct = 40;
  const frame = `id: ${late.seq}\nevent: view\ndata: ${JSON.stringify(late)}\n\n`;
  const pages = [];
  try {
    for (const path of ['/board', '/console']) {
      const page = await browser.context.newPage();
      page.problems = [];
      page.on('pageerror', (e) => page.problems.push(e.message));
      await page.route('**/live', (route) => route.fulfill({status: 200, contentType: 'text/event-stream', body: frame}));
      await page.goto(pageUrl(path, path === '/board' ? tokens.dashboard : tokens.manager));
      pages.push(page);
    }
    const [wall, desk] = pages;
    await wall.locator('#next li', {hasText: head.token}).waitFor();
    assert.equal(await wall.locator('#next li', {hasText: head.token}).locator('.wait').textContent(), 'likely not today');
    assert.match(await wall.locator('#join-now').textContent(), /; may not be today: 4 in 10 before closing\)$/);
    await row(desk, 'waiting', head.token).waitFor();
    assert.match(await row(desk, 'waiting', head.token).textContent(), /likely not today/);
    for (const page of pages) assert.deepEqual(page.problems, []);
    await screenshot(wall, 'board-not-today');

    const own = await (await fetch(server.url + t.link)).json();
    own.servedTodayPct = 5;
    const phone = await open(browser.context, server.url + t.link.replace('/v1/public/tickets/', '/t/'), {width: 360, height: 740},
      async (page) => page.route('**/v1/public/tickets/**', (route) => route.fulfill({status: 200, contentType: 'application/json',
        body: JSON.stringify(own)})));
    pages.push(phone);
    await phone.locator('#today').waitFor();
    assert.equal(await phone.locator('#wait').textContent(), 'Likely not today');
    assert.equal(await phone.locator('#around').count(), 0);
    assert.equal(await phone.locator('#today').textContent(),
      'The salon usually stops starting services before your turn would come. Please ask at the front desk.');
    assert.deepEqual(phone.problems, []);
    await screenshot(phone, 'customer-not-today');
  } finally {
    for (const page of pages) await page.close();
  }
  const cancelled = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/cancel`, {});
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
});

// A phone set to another zone than the salon's (Tokyo, against the salon's London) shows the salon's clock: the
// customer is at or near the salon, whose clock on the wall is the one that counts.
test("the customer page's 'Around' time is the salon's clock, whatever zone the phone is set to", async () => {
  const t = await walkIn('Kai');
  const own = await (await fetch(server.url + t.link)).json();
  assert.equal(own.timezone, 'Europe/London');
  assert.ok(own.estimatedStart, JSON.stringify(own));
  const context = await browser.newContext({timezoneId: 'Asia/Tokyo'});
  try {
    const phone = await open(context, server.url + t.link.replace('/v1/public/tickets/', '/t/'), {width: 360, height: 740});
    await phone.locator('#around').waitFor();
    const [salonClock, phoneClock] = await phone.evaluate((at) => [
      new Date(at).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London'}),
      new Date(at).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'}),
    ], own.estimatedStart);
    assert.notEqual(salonClock, phoneClock, 'the two zones must differ for this test to mean anything');
    assert.equal(await phone.locator('#around').textContent(), salonClock);
    assert.deepEqual(phone.problems, []);
  } finally {
    await context.close();
  }
  const cancelled = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/cancel`, {});
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
});

test('the customer page follows its ticket from waiting to called', async () => {
  const t = await walkIn('Jo');
  const link = t.link.replace('/v1/public/tickets/', '/t/');
  const phone = await open(browser.context, server.url + link, {width: 360, height: 740});
  await phone.locator('#token', {hasText: t.token}).waitFor();
  // The likely range under the estimate, where it is wider than a minute (the ticket's own answer says).
  const own = await (await fetch(server.url + t.link)).json();
  if (own.estimatedWaitHighMs - own.estimatedWaitLowMs >= 2 * 60000) {
    assert.match(await phone.locator('#wait-range').textContent(), /^likely (within )?\d+(–\d+)? (min|h)/);
  } else {
    assert.equal(await phone.locator('#wait-range').count(), 0);
  }
  const status = await phone.locator('#status').textContent();
  assert.equal(status, t.position === 1 ? 'You are next' : `Number ${t.position} in line`);
  if (t.position > 1) assert.equal(await phone.locator('#ahead').textContent(), t.position === 2 ? '1 person' : `${t.position - 1} people`);
  const q = await queue();
  const free = q.staff.find((m) => m.onDuty && !m.serving);
  const started = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/start`, {staffId: free.staffId});
  assert.equal(started.status, 200, JSON.stringify(started.body));
  await phone.locator('#status', {hasText: 'your turn'}).waitFor({timeout: 5000});
  assert.match(await phone.locator('#status').textContent(), new RegExp(`go to ${free.name}`));
  await screenshot(phone, 'customer-360x740');
  const done = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/complete`, {});
  assert.equal(done.status, 200);
  await phone.locator('#status', {hasText: 'complete'}).waitFor({timeout: 5000});
  assert.equal(await phone.locator('#state').isVisible(), false, 'no "Live" on an ended ticket');
  assert.equal(await phone.locator('#updates').isVisible(), false, 'nor "This page updates by itself"');
  let asked = 0;
  phone.on('request', () => { asked += 1; });
  await sleep(4000);
  assert.equal(asked, 0, 'an ended ticket is not asked about again');
  const qr = await fetch(`${server.url}${link}/qr.svg`);
  assert.equal(qr.status, 200);
  assert.equal(qr.headers.get('content-type'), 'image/svg+xml');
  assert.match(await qr.text(), /^<svg [^>]*role="img"/);
  assert.equal((await fetch(`${server.url}/t/${salon}/${t.ticketId}/not-the-code/qr.svg`)).status, 404);
  const wrong = await open(browser.context, `${server.url}/t/${salon}/${t.ticketId}/not-the-code`, {width: 360, height: 740});
  await wrong.locator('#status', {hasText: 'not valid'}).waitFor();
  assert.deepEqual([...phone.problems, ...wrong.problems], []);
  await phone.close();
  await wrong.close();
});

test('the board recovers by itself after kill -9 and restart, and shows what happened meanwhile', async () => {
  for (const w of (await queue()).waiting) { // a short line: every token fits on the board
    const r = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${w.ticketId}/cancel`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const held = [];
  let release = false;
  await board.route('**/live', (route) => (release ? route.continue() : held.push(route))); // its reconnects wait
  await server.kill9();
  await board.locator('#state[data-state="reconnecting"]').waitFor({timeout: 5000});
  await server.start(); // the same port and data
  const t = await walkIn('Kim'); // while the board is away
  release = true; // then they go, before the route is removed (an unrouted request may be let go by playwright)
  for (const route of held) await route.continue();
  await board.unroute('**/live');
  await board.locator('#state[data-state="live"]').waitFor({timeout: 10000});
  await board.locator('#next .token', {hasText: t.token}).waitFor({timeout: 3000});
  assert.equal(await board.evaluate(() => performance.getEntriesByType('navigation').length), 1, 'never reloaded');
  await consolePage.locator('#state[data-state="live"]').waitFor({timeout: 10000});
});

test('a silent network drop: the board notices the quiet stream, reconnects by itself and shows the walk-in', async () => {
  for (const w of (await queue()).waiting) { // a short line: every token fits on the board
    const r = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${w.ticketId}/cancel`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const relay = await new DroppingRelay(server.port).start();
  try {
    await silentDrop(relay);
  } finally {
    await relay.close(); // the dead connection too: nothing of the relay outlives the test
  }
});

async function silentDrop(relay) {
  const tv = await open(browser.context, `${relay.url}/board?salon=${salon}#token=${encodeURIComponent(tokens.dashboard)}`,
    {width: 1920, height: 1080});
  await tv.locator('#state[data-state="live"]').waitFor();
  await sleep(500);
  await tv.evaluate(() => { // every state the board shows from now on
    window.states = [];
    const el = document.querySelector('#state');
    new MutationObserver(() => window.states.push(el.dataset.state)).observe(el, {attributes: true, attributeFilter: ['data-state']});
  });
  relay.dropSilently();
  const dropped = Date.now();
  const t = await walkIn('Oli'); // during the drop
  relay.restore(); // the network is back; the stream's connection is not, and nothing says so
  await sleep(2000);
  assert.equal(await tv.locator('#next .token', {hasText: t.token}).count(), 0, 'the board cannot know yet');
  assert.equal(await tv.locator('#state').getAttribute('data-state'), 'live', 'nothing told it');
  await tv.locator('#next .token', {hasText: t.token}).waitFor({timeout: 30000});
  const after = (Date.now() - dropped) / 1000;
  console.log(`silent drop: the walk-in on the board ${after.toFixed(1)} s after the drop`);
  assert.ok(after >= 15 && after <= 26, `caught by the silence check (20 s) and reconnected at once: ${after} s`);
  await tv.locator('#state[data-state="live"]').waitFor();
  assert.deepEqual(await tv.evaluate(() => window.states), ['reconnecting', 'live']);
  assert.equal(await tv.evaluate(() => performance.getEntriesByType('navigation').length), 1, 'never reloaded');
  assert.deepEqual(tv.problems, []);
  await tv.close();
}

test('after a restart into another build, the board reloads itself once and goes on', async () => {
  const tv = await open(browser.context, pageUrl('/board', tokens.dashboard), {width: 1920, height: 1080});
  await tv.locator('#state[data-state="live"]').waitFor();
  await sleep(500); // the page's own tags are taken
  let upgraded = false;
  await tv.route('**/assets/app.js', async (route) => { // the new build's app.js: another hash
    if (!upgraded || route.request().resourceType() !== 'fetch') return route.continue();
    const res = await route.fetch();
    return route.fulfill({response: res, headers: {...res.headers(), etag: '"another-build"'}});
  });
  upgraded = true;
  const reloaded = tv.waitForEvent('load', {timeout: 20000});
  await server.stop();
  await server.start();
  await reloaded;
  await tv.locator('#state[data-state="live"]').waitFor({timeout: 10000});
  assert.deepEqual(tv.problems, []);
  await tv.close();
  await consolePage.locator('#state[data-state="live"]').waitFor({timeout: 10000});
});

test("a metrics scraper's token opens no screen: the sign-in form says so", async () => {
  const monitor = server.token('--role', 'monitor', '--ttl', '1h');
  const page = await open(browser.context, `${server.url}/console?salon=${salon}#token=${encodeURIComponent(monitor)}`);
  await page.locator('.signin .notice', {hasText: 'for collecting metrics (role monitor): it opens no screen'})
    .waitFor({timeout: 5000});
  assert.equal(await page.evaluate(() => sessionStorage.getItem('salonq.token')), null, 'the token is not kept');
  await page.fill('#token', tokens.manager);
  await page.click('.signin button[type=submit]');
  await page.locator('#state[data-state="live"]').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an expired token shows the sign-in form with the reason, and a pasted token signs in', async () => {
  const expired = server.token('--role', 'manager', '--salon', salon, '--staff', 'max', '--ttl', '1s');
  await sleep(2100);
  const page = await open(browser.context, pageUrl('/console', expired)); // a new tab: its own sessionStorage
  await page.locator('.signin .notice', {hasText: 'expired'}).waitFor();
  await page.fill('#token', tokens.manager);
  await page.click('.signin button[type=submit]');
  await page.locator('#state[data-state="live"]').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("on a touch screen the console's buttons are 44 px targets; with a mouse they stay compact", async () => {
  const t = await walkIn('Pia');
  const wide = await walkIn('Rosalind', ['HC', 'BT']); // a row that needs room
  const sizes = async (page) => page.locator('#waiting button, #serving button, #skipped button, #staff button')
    .evaluateAll((bs) => bs.map((b) => ({name: b.getAttribute('aria-label') || b.textContent,
      height: b.getBoundingClientRect().height, width: b.getBoundingClientRect().width})));
  const tablet = await browser.newContext({viewport: {width: 1024, height: 768}, hasTouch: true, isMobile: true});
  const touch = await open(tablet, pageUrl('/console', tokens.manager));
  await row(touch, 'waiting', t.token).waitFor();
  assert.equal(await touch.evaluate(() => matchMedia('(pointer: coarse)').matches), true, 'a touch screen');
  const big = await sizes(touch);
  assert.ok(big.length >= 7, `buttons: ${big.length}`);
  for (const b of big) assert.ok(b.height >= 44 && b.width >= 44, `${b.name}: ${b.width}x${b.height} px`);
  assert.ok(await touch.evaluate(() => document.documentElement.scrollWidth <= 1024), 'the larger buttons stay on the screen');
  // Every row's buttons inside its card, none cut off at its edge: on the touch tablet, and with a mouse at 1024 px.
  const outside = (page) => page.evaluate(() => [...document.querySelectorAll('#waiting button, #serving button, #skipped button')]
    .filter((b) => b.getBoundingClientRect().right > b.closest('.card').getBoundingClientRect().right + 0.5)
    .map((b) => b.textContent));
  assert.deepEqual(await outside(touch), [], 'touch: buttons past their card');
  // With a mouse: at 1024 (two columns), and at 1101, 1180 and 1280 (three: until session 36 Skip and Cancel ran
  // under the staff card from 1101 to about 1270 px); and, with a token that may not add walk-ins, the queue takes
  // the walk-in card's column.
  for (const width of [1024, 1101, 1180, 1280]) {
    const narrow = await browser.newContext({viewport: {width, height: 800}});
    const mouse = await open(narrow, pageUrl('/console', tokens.manager));
    await row(mouse, 'waiting', t.token).waitFor();
    assert.deepEqual(await outside(mouse), [], `mouse at ${width} px: buttons past their card`);
    const viewer = await open(narrow, pageUrl('/console', tokens.dashboard));
    await row(viewer, 'waiting', t.token).waitFor();
    const [queue, staff] = await viewer.evaluate(() => ['.queue .card', '.staff'].map((q) => {
      const r = document.querySelector(q).getBoundingClientRect();
      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }));
    assert.ok(queue.left < 40, `a view-only console at ${width} px: the queue starts at the left (${queue.left})`);
    assert.ok(queue.right <= staff.left || staff.top >= queue.bottom,
      `a view-only console at ${width} px: the queue and the staff do not overlap`);
    assert.match(await viewer.locator('#who').textContent(), /view only/);
    await narrow.close();
  }
  await screenshot(touch, 'console-touch-1024x768');
  assert.deepEqual(touch.problems, []);
  await tablet.close();
  assert.equal(await consolePage.evaluate(() => matchMedia('(pointer: coarse)').matches), false, 'a mouse');
  const small = await sizes(consolePage);
  assert.ok(small.some((b) => b.height < 40), 'the rule is for touch screens only');
  for (const ticket of [t, wide]) {
    const r = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${ticket.ticketId}/cancel`, {});
    assert.equal(r.status, 200);
  }
});

test('on a tablet in portrait and on a phone the console and the owner view fit the width: one column', async () => {
  const t = await walkIn('Tia');
  for (const viewport of [{width: 768, height: 1024}, {width: 390, height: 844}]) {
    for (const [path, token] of [['/console', tokens.manager], ['/owner', tokens.owner]]) {
      const page = await open(browser.context, pageUrl(path, token), viewport);
      await settled(page);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= viewport.width, `${path} at ${viewport.width} px: the page is ${wide} px wide`);
      await screenshot(page, `${path.slice(1)}-${viewport.width}x${viewport.height}`);
      assert.deepEqual(page.problems, []);
      await page.close();
    }
  }
  const r = await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/cancel`, {});
  assert.equal(r.status, 200);
});

test("no A/AA violation in the other states: the console's dialogs, the customer page in each state at 360x740", async () => {
  const found = [];
  const audit = async (page, name) => { for (const v of await axe(page)) found.push({page: name, ...v}); };
  // The console with the complete (amount) and skip (reason) dialogs open.
  const serving = await walkIn('Quin');
  const waiting = await walkIn('Rae');
  const free = (await queue()).staff.find((m) => m.onDuty && !m.serving);
  assert.equal((await server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${serving.ticketId}/start`,
    {staffId: free.staffId})).status, 200);
  const desk = await open(browser.audit, pageUrl('/console', tokens.manager));
  await row(desk, 'serving', serving.token).getByRole('button', {name: `Complete ${serving.token}`}).click();
  await desk.locator('#dialog[open] #amount').waitFor();
  await screenshot(desk, 'console-dialog-complete');
  await audit(desk, 'console, complete dialog');
  await desk.keyboard.press('Escape');
  await desk.locator('#dialog[open]').waitFor({state: 'detached'});
  await row(desk, 'waiting', waiting.token).getByRole('button', {name: `Skip ${waiting.token}`}).click();
  await desk.locator('#dialog[open] #skip-reason').waitFor();
  await screenshot(desk, 'console-dialog-skip');
  await audit(desk, 'console, skip dialog');
  await desk.keyboard.press('Escape');
  assert.deepEqual(desk.problems, []);
  await desk.close();

  // The customer's page: waiting, called, skipped, over.
  const skipped = await walkIn('Sol');
  const over = await walkIn('Tom');
  const call = (t, what, body) => server.call(tokens.manager, 'POST', `/v1/salons/${salon}/tickets/${t.ticketId}/${what}`, body);
  assert.equal((await call(skipped, 'skip', {reason: 'Not here when called'})).status, 200);
  assert.equal((await call(over, 'cancel', {})).status, 200);
  const states = [[waiting, 'waiting', 'in line|You are next'], [serving, 'called', 'your turn'],
    [skipped, 'skipped', 'see the front desk'], [over, 'over', 'cancelled']];
  for (const [t, name, status] of states) {
    const phone = await open(browser.audit, server.url + t.link.replace('/v1/public/tickets/', '/t/'), {width: 360, height: 740});
    await phone.locator('#status', {hasText: new RegExp(status)}).waitFor({timeout: 5000});
    await sleep(300);
    await screenshot(phone, `customer-${name}-360x740`);
    await audit(phone, `customer, ${name}`);
    assert.deepEqual(phone.problems, []);
    await phone.close();
  }
  assert.deepEqual(found, [], 'axe-core: no A/AA violations');
  assert.equal((await call(serving, 'complete', {})).status, 200);
});

test('every page at both sizes: screenshots, and no A/AA violation by axe-core', async () => {
  const t = await walkIn('Lea');
  const pages = [
    ['index', `${server.url}/#token=${encodeURIComponent(tokens.owner)}`],
    ['board', pageUrl('/board', tokens.dashboard)],
    ['console', pageUrl('/console', tokens.manager)],
    ['owner', pageUrl('/owner', tokens.owner)],
    ['customer', server.url + t.link.replace('/v1/public/tickets/', '/t/')],
    ['signin', `${server.url}/console?salon=${salon}`],
    ['board-signin', `${server.url}/board?salon=${salon}`], // dark page, light form: the label must stay readable
  ];
  const found = [];
  const signedOut = async (page) => { // a board remembers its token on the device: forget it for this one
    await page.evaluate(() => localStorage.clear());
    await page.reload();
  };
  for (const [name, url] of pages) {
    for (const viewport of [{width: 1366, height: 768}, {width: 1920, height: 1080}]) {
      const page = await open(browser.context, url, viewport);
      if (name === 'board-signin') await signedOut(page);
      await settled(page);
      await screenshot(page, `${name}-${viewport.width}x${viewport.height}`);
      assert.deepEqual(page.problems, [], `${name}: no script errors`);
      await page.close();
    }
    const audited = await open(browser.audit, url);
    if (name === 'board-signin') await signedOut(audited);
    await settled(audited);
    for (const v of await axe(audited)) found.push({page: name, ...v});
    await audited.close();
  }
  assert.deepEqual(found, [], 'axe-core: no A/AA violations');
});
