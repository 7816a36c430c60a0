// The front-desk console: walk-ins, and on each ticket start / complete / skip / undo-skip / priority start /
// cancel; staff clock-in and clock-out. The queue is the live view; every action is one intent with one
// Idempotency-Key (a double click or a retry after a network error is decided once), and actions that depend on
// what the worker saw carry If-Match with the view's seq: when the queue changed meanwhile (412), the console says
// so and shows the fresh view instead of doing something else than what was meant.
import {
  $, h, signedIn, signOut, showSignIn, followQueue, showState, api, salonPath, newKey, rejectionText, waitText, clockTime, money,
  priorityReasons, staffName, serviceNames, todayText, notToday, waitOrNotToday,
} from './app.js';

const session = signedIn();
const managerRoles = ['manager', 'owner', 'admin'];
const staffRoles = ['staff', 'manager', 'owner', 'admin'];
let view = null;
const inflight = new Set(); // what: its button stays disabled, whatever re-renders meanwhile

const role = () => session.claims.role;
const me = () => session.claims.staff;
const can = {
  walkIn: () => ['pos', ...staffRoles].includes(role()),
  start: () => staffRoles.includes(role()),
  manage: () => managerRoles.includes(role()),
};

// --- actions ------------------------------------------------------------------------------------------------

function toast(text, kind = 'ok') {
  const box = h('p', {class: kind, role: kind === 'error' ? 'alert' : null}, text);
  $('#toast').replaceChildren(box);
  setTimeout(() => { if (box.isConnected) box.remove(); }, kind === 'ok' ? 4000 : 15000);
}

// The key of each intent not yet decided, by what is sent (method, path and body): a retry of the very same
// command, after a network error or an answer that says "try again" (408, 429, 5xx), reuses it, so the server
// decides it once; anything else is a new intent with a new key. Kept two minutes at most.
const keyOf = new Map(); // "path body" → {key, at}
const keyLife = 120000;

function intentKey(what, path, body) {
  const id = `${path} ${JSON.stringify(body)}`;
  const kept = keyOf.get(id);
  if (kept && Date.now() - kept.at < keyLife) return {id, key: kept.key};
  const key = newKey(what.replace(/[^A-Za-z0-9-]/g, '-'));
  keyOf.set(id, {key, at: Date.now()});
  return {id, key};
}

const retryable = (e) => e.status === undefined || e.status === 408 || e.status === 429 || e.status >= 500;

// A 202: the decision was not in within the server's wait (Kafka mode, a busy engine). Asks for it at its
// Location until it is decided (404 meanwhile), for up to about 20 s.
async function decisionAt(location) {
  for (let i = 0; i < 20; ++i) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      return await api('GET', location);
    } catch (e) {
      if (!(e.status === 404 && e.code === 'command_not_found')) throw e;
    }
  }
  return null;
}

// Sends one command for an intent `what` ("start:12": its button stays disabled meanwhile). Resolves to the
// decided answer's body, or null when refused or undecided (the reason is shown). `seen`: the seq of the queue the
// worker decided on (If-Match), for a command whose meaning depends on the rest of the queue. `done`: what to tell the
// desk once it is decided ("J55 completed."), so that a click on the wrong row is seen.
async function send(what, path, body, {seen, quiet = false, done = 'Done.'} = {}) {
  if (inflight.has(what)) return null;
  inflight.add(what);
  render();
  const intent = intentKey(what, path, body);
  try {
    let r = await api('POST', salonPath(session.salon, path), {body, idempotencyKey: intent.key, ifMatch: seen});
    if (r.status === 202) {
      toast('Sent: waiting for the salon to decide…');
      r = await decisionAt(r.headers.get('Location'));
      if (!r) {
        toast('Sent, not decided yet: the queue will show it. Do not send it again.', 'error');
        return null;
      }
    }
    keyOf.delete(intent.id);
    if (!quiet) toast(done);
    return r.body || {};
  } catch (e) {
    if (!retryable(e)) keyOf.delete(intent.id); // decided (refused): the same click again is a new intent
    toast(rejectionText(e, view), 'error');
    if (e.status === 412) await refresh();
    return null;
  } finally {
    inflight.delete(what);
    render();
  }
}

async function refresh() {
  try {
    const r = await api('GET', salonPath(session.salon, '/queue'));
    if (r.body) show(r.body);
  } catch {
    // the live stream reconnects by itself
  }
}

// A small form in the dialog; resolves to its values, or null when the user goes back.
function ask(title, fields, okText) {
  const dialog = $('#dialog');
  const opener = document.activeElement?.getAttribute('aria-label'); // redrawn meanwhile: found again by its label
  $('#dialog-title').textContent = title;
  $('#dialog-body').replaceChildren(...fields);
  $('#dialog-ok').textContent = okText;
  $('#dialog-error').hidden = true;
  return new Promise((resolve) => {
    const form = $('#dialog-form');
    const done = (value) => {
      form.onsubmit = null;
      $('#dialog-cancel').onclick = null;
      dialog.close();
      if (opener) document.querySelector(`button[aria-label="${CSS.escape(opener)}"]`)?.focus();
      resolve(value);
    };
    form.onsubmit = (e) => {
      e.preventDefault();
      const invalid = [...form.elements].find((el) => el.willValidate && !el.checkValidity());
      if (invalid) {
        $('#dialog-error').textContent = invalid.validationMessage;
        $('#dialog-error').hidden = false;
        invalid.focus();
        return;
      }
      done(Object.fromEntries(new FormData(form)));
    };
    $('#dialog-cancel').onclick = () => done(null);
    dialog.addEventListener('cancel', () => done(null), {once: true});
    dialog.showModal();
  });
}

const field = (label, input) => [h('label', {for: input.id}, label), input];

function staffChoice(id, free) {
  const select = h('select', {id, name: 'staffId', required: true},
    free.map((s) => h('option', {value: s.staffId, selected: s.staffId === me()}, s.name)));
  return field('Served by', select);
}

const freeStaff = () => view.staff.filter((s) => s.onDuty && !s.serving);

// Who serves: a stylist starts their own customers; at the desk (a manager, the owner) the worker picks among the
// free staff, themselves first. Null when nobody is free or the worker went back.
async function whoServes(title) {
  const free = freeStaff();
  if (free.length === 0) {
    toast('Nobody on duty is free.', 'error');
    return null;
  }
  const mine = free.find((s) => s.staffId === me());
  if (mine && (role() === 'staff' || free.length === 1)) return mine.staffId;
  if (!mine && free.length === 1 && role() !== 'staff') return free[0].staffId;
  const answer = await ask(title, staffChoice('start-staff', free), 'Start');
  return answer && answer.staffId;
}

async function startTicket(t) {
  const seen = view.seq;
  const staffId = await whoServes(`Start ${t.token}`);
  if (staffId) {
    await send(`start:${t.ticketId}`, `/tickets/${t.ticketId}/start`, {staffId}, {seen, done: `${t.token} started with ${nameOf(staffId)}.`});
  }
}

async function startNext() {
  const seen = view.seq;
  const staffId = await whoServes('Start the next customer');
  if (staffId) await send('start-next', '/start-next', {staffId}, {seen, done: `${nameOf(staffId)} started the next customer.`});
}

async function priorityStart(t) {
  const seen = view.seq;
  const free = freeStaff();
  if (free.length === 0) return toast('Nobody on duty is free.', 'error');
  const p = view.priority;
  const reason = h('select', {id: 'priority-reason', name: 'reason', required: true},
    Object.entries(priorityReasons).map(([value, text]) => h('option', {value}, text)));
  const answer = await ask(`Priority start for ${t.token} (${p.used}/${p.limit} used today)`,
    [...field('Reason', reason), ...staffChoice('priority-staff', free)], 'Start now');
  if (!answer) return;
  await send(`priority:${t.ticketId}`, `/tickets/${t.ticketId}/start-priority`,
    {staffId: answer.staffId, reason: answer.reason}, {seen, done: `${t.token} started with ${nameOf(answer.staffId)} (priority).`});
}

async function complete(t) {
  const price = t.services.reduce((sum, code) => sum + (view.services.find((s) => s.code === code)?.priceCents || 0), 0);
  const amount = h('input', {id: 'amount', name: 'amount', type: 'number', min: 0, step: '0.01', required: true,
    value: money(price), inputmode: 'decimal'});
  const answer = await ask(`Complete ${t.token}`, field('Amount paid', amount), 'Complete');
  if (!answer) return;
  await send(`complete:${t.ticketId}`, `/tickets/${t.ticketId}/complete`,
    {amountCents: Math.round(Number(answer.amount) * 100)}, {done: `${t.token} completed.`});
}

async function skip(t) {
  const seen = view.seq;
  const reason = h('input', {id: 'skip-reason', name: 'reason', required: true, maxlength: 200, value: 'Not here when called'});
  const answer = await ask(`Skip ${t.token}`, field('Reason', reason), 'Skip');
  if (!answer) return;
  await send(`skip:${t.ticketId}`, `/tickets/${t.ticketId}/skip`, {reason: answer.reason}, {seen, done: `${t.token} skipped.`});
}

async function cancel(t) {
  const seen = view.seq;
  const reason = h('input', {id: 'cancel-reason', name: 'reason', maxlength: 200, value: 'Left'});
  const answer = await ask(`Cancel ${t.token}?`, field('Reason (optional)', reason), 'Cancel the ticket');
  if (!answer) return;
  await send(`cancel:${t.ticketId}`, `/tickets/${t.ticketId}/cancel`,
    answer.reason ? {reason: answer.reason} : {}, {seen, done: `${t.token} cancelled.`});
}

const undoSkip = (t) => send(`undo:${t.ticketId}`, `/tickets/${t.ticketId}/undo-skip`, {}, {done: `${t.token} is back in line.`});
const clock = (s, dir) => send(`clock:${s.staffId}`, `/staff/${encodeURIComponent(s.staffId)}/clock-${dir}`, {},
  {done: `${s.name} clocked ${dir}.`});
// A staff member's name in the view (their id until the view knows them).
const nameOf = (id) => staffName(view, id);

async function walkIn(e) {
  e.preventDefault();
  const form = $('#walk-in-form');
  const values = Object.fromEntries(new FormData(form));
  const services = [...form.querySelectorAll('input[name=service]:checked')].map((c) => c.value);
  const error = $('#walk-in-error');
  const problem = !values.name.trim() && !values.phone.trim() ? ['Give the customer a name or a phone number.', '#customer-name']
    : services.length === 0 ? ['Choose at least one service.', '#services input'] : null;
  if (problem) {
    error.textContent = problem[0];
    error.hidden = false;
    $(problem[1]).focus();
    return;
  }
  error.hidden = true;
  const customer = {};
  for (const k of ['name', 'phone', 'customerId']) if (values[k].trim()) customer[k] = values[k].trim();
  const answer = await send('walk-in', '/walk-ins', {customer, services}, {quiet: true});
  if (!answer) return;
  form.reset();
  const t = answer.ticket;
  if (!t) return;
  const address = new URL(t.page, location.href).href; // to copy: the public address when serve has one
  const page = t.link.replace('/v1/public/tickets/', '/t/'); // its page and QR code on this server (--public-url may
  // hold a proxy's path prefix that this server does not serve under)
  const copy = h('input', {id: 'issued-link', readonly: true, value: address, onfocus: (e) => e.target.select()});
  $('#issued').replaceChildren(h('div', {class: 'ok'},
    'Ticket ', h('span', {class: 'token'}, t.token),
    `Position ${t.position}, ${notToday(t.servedTodayPct) ? 'likely not today' : `wait ${waitText(t.estimatedWaitMs)}`}.`,
    todayText(t.servedTodayPct) ? h('p', {class: 'warn', id: 'issued-today'}, `Tell them: ${todayText(t.servedTodayPct)}.`) : null,
    h('img', {class: 'qr', src: `${page}/qr.svg`, width: 176, height: 176,
      alt: `QR code of ticket ${t.token}'s page: the customer scans it to follow their place in line`}),
    h('p', {class: 'hint'}, 'The customer scans this to follow their place in line on their phone.'),
    h('label', {for: 'issued-link'}, 'Or send them this link'), copy,
    h('p', {}, h('a', {href: page, target: '_blank', rel: 'noopener'}, 'Open the customer\'s page'))));
}

// --- rendering ----------------------------------------------------------------------------------------------

function button(text, what, onclick, {kind, label} = {}) {
  return h('button', {type: 'button', class: kind, disabled: inflight.has(what), 'aria-label': label, onclick}, text);
}

// A row's buttons in two pairs, starting and sending away, each kept on one line: where the table is narrow the second
// pair goes under the first rather than a lone button under three.
function waitingRow(t) {
  const starts = [];
  const away = [];
  if (can.start()) starts.push(button('Start', `start:${t.ticketId}`, () => startTicket(t), {label: `Start ${t.token}`}));
  if (can.manage()) {
    starts.push(button('Priority', `priority:${t.ticketId}`, () => priorityStart(t), {kind: 'secondary', label: `Priority start ${t.token}`}));
    away.push(button('Skip', `skip:${t.ticketId}`, () => skip(t), {kind: 'secondary', label: `Skip ${t.token}`}));
    away.push(button('Cancel', `cancel:${t.ticketId}`, () => cancel(t), {kind: 'danger', label: `Cancel ${t.token}`}));
  }
  const pair = (buttons) => (buttons.length ? h('span', {class: 'pair'}, buttons) : null);
  return h('tr', {dataset: {ticket: t.ticketId}},
    h('td', {class: 'num'}, t.position), h('td', {class: 'token'}, t.token), nameCell(t),
    h('td', {}, serviceNames(view, t.services)), h('td', {class: 'wait'}, waitOrNotToday(t, view.updatedAt)),
    h('td', {}, h('div', {class: 'actions'}, pair(starts), pair(away))));
}

function servingRow(t) {
  const acts = can.start() ? [button('Complete', `complete:${t.ticketId}`, () => complete(t), {label: `Complete ${t.token}`})] : [];
  return h('tr', {dataset: {ticket: t.ticketId}},
    h('td', {class: 'token'}, t.token, t.priority ? h('span', {class: 'hint'}, ' priority') : null),
    nameCell(t), h('td', {}, t.staffName || staffName(view, t.staffId)),
    h('td', {}, clockTime(t.expectedEnd, view.timezone)), h('td', {}, h('div', {class: 'actions'}, acts)));
}

function skippedRow(t) {
  const acts = can.manage() ? [
    button('Undo skip', `undo:${t.ticketId}`, () => undoSkip(t), {kind: 'secondary', label: `Undo skip ${t.token}`}),
    button('Cancel', `cancel:${t.ticketId}`, () => cancel(t), {kind: 'danger', label: `Cancel ${t.token}`}),
  ] : [];
  return h('tr', {dataset: {ticket: t.ticketId}},
    h('td', {class: 'token'}, t.token), nameCell(t),
    h('td', {}, clockTime(t.skippedAt, view.timezone)), h('td', {}, h('div', {class: 'actions'}, acts)));
}

function staffItem(s) {
  const status = !s.onDuty ? 'off duty' : s.serving ? `serving ${view.serving.find((t) => t.ticketId === s.serving)?.token || ''}` : 'free';
  const may = can.manage() || (can.start() && s.staffId === me());
  return h('li', {dataset: {staff: s.staffId}},
    h('span', {}, s.name, h('span', {class: 'status'}, `${s.role} · ${status}`)),
    may ? button(s.onDuty ? 'Clock out' : 'Clock in', `clock:${s.staffId}`, () => clock(s, s.onDuty ? 'out' : 'in'),
      {kind: 'secondary', label: `${s.onDuty ? 'Clock out' : 'Clock in'} ${s.name}`}) : null);
}

const rowsOr = (rows, cols, text) => rows.length ? rows : [h('tr', {}, h('td', {colspan: cols, class: 'empty'}, text))];

function renderServices() {
  const box = $('#services');
  const have = [...box.querySelectorAll('input')].map((i) => i.value).join();
  if (have === view.services.map((s) => s.code).join()) return; // keep what the user ticked
  box.replaceChildren(h('legend', {}, 'Services'), ...view.services.map((s) =>
    h('label', {}, h('input', {type: 'checkbox', name: 'service', value: s.code}), `${s.name} (${s.durationMin} min, ${money(s.priceCents)})`)));
}

// Redraws from the view. Not while a pointer is down on the page (a click whose press and release fell on either
// side of a redraw would be lost): then just after it. The focused button keeps the focus across a redraw.
let pointerDown = false;
let redrawLater = false;
function render() {
  if (!view || !$('#waiting')) return; // signed out: the sign-in form is the page now
  if (pointerDown) {
    redrawLater = true;
    return;
  }
  const focused = document.activeElement?.getAttribute('aria-label');
  draw();
  if (focused) document.querySelector(`button[aria-label="${CSS.escape(focused)}"]`)?.focus();
}
document.addEventListener('pointerdown', () => { pointerDown = true; }, true);
for (const ended of ['pointerup', 'pointercancel']) document.addEventListener(ended, () => {
  pointerDown = false;
  if (redrawLater) setTimeout(() => { redrawLater = false; render(); }); // after the click it ends
}, true);

function draw() {
  $('#salon-name').textContent = `${view.name || view.salonId} · Front desk`;
  $('#priority-used').textContent = `Priority starts today: ${view.priority.used}/${view.priority.limit}`;
  $('#waiting-count').textContent = `(${view.waiting.length})`;
  $('#waiting').replaceChildren(...rowsOr(view.waiting.map(waitingRow), 6, 'Nobody is waiting.'));
  $('#serving').replaceChildren(...rowsOr(view.serving.map(servingRow), 5, 'Nobody is being served.'));
  $('#skipped').replaceChildren(...rowsOr(view.skipped.map(skippedRow), 4, 'No skipped tickets.'));
  $('#staff').replaceChildren(...view.staff.map(staffItem));
  const next = $('#start-next');
  next.hidden = !can.start() || view.waiting.length === 0;
  next.disabled = inflight.has('start-next');
  $('#walk-in-submit').disabled = inflight.has('walk-in');
  renderServices();
}

function show(v) {
  if (view && v.seq < view.seq) return; // an older answer than what the stream already showed
  view = v;
  showWho();
  render();
}

// Who is signed in: their name when they are one of the salon's staff, else the token's subject; and, for a token
// that may not change the queue (a dashboard's, an analyst's), that this is a view only.
function showWho() {
  const name = me() ? nameOf(me()) : session.claims.sub || '';
  $('#who').textContent = `${name} · ${role()}${can.walkIn() ? '' : ' · view only'}`;
}

if (session) {
  showWho();
  if (!can.walkIn()) $('.walk-in').hidden = true;
  $('#walk-in-form').addEventListener('submit', walkIn);
  $('#start-next').addEventListener('click', startNext);
  setInterval(render, 30000); // waits count down while the queue is quiet
  followQueue(session.salon, {
    onView: show,
    onState: (state, err) => {
      showState($('#state'), state);
      if (state === 'failed' && err.status === 404) {
        toast(`There is no salon "${session.salon}". Check the address.`, 'error');
      } else if (state === 'failed') {
        signOut();
        showSignIn(`${rejectionText(err, null)} Sign in with a token for salon "${session.salon}".`);
      }
    },
  });
}

// A customer who gave a phone number and no name has no name in the view (the phone is not shown to the desk).
function nameCell(t) {
  return t.name ? h('td', {}, t.name) : h('td', {class: 'hint', title: 'Walked in with a phone number only'}, 'phone only');
}
