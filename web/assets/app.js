// What every screen shares: the signed-in token, calls to the API, the live queue stream, and the words the
// pages use. Plain ES modules, no build step; text always goes in with textContent (never as HTML).

const tokenKey = 'salonq.token';

// --- DOM ---------------------------------------------------------------------------------------------------

// h('li', {class: 'x', onclick: f}, 'text', child...): an element; strings become text nodes.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// --- the signed-in token -----------------------------------------------------------------------------------

// A token given in the address (…#token=…, as ops/run.sh prints) is kept and taken out of the address, so it is
// not bookmarked, shared or left in the history. A staff token lives in this tab only (sessionStorage); a
// dashboard token (read-only, for a TV that has no keyboard to paste one again after a power cut) is also
// remembered on the device (localStorage).
export function adoptTokenFromAddress() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  let t;
  try {
    t = decodeURIComponent(m[1]);
  } catch {
    return; // a broken link: the sign-in form asks for the token
  }
  setToken(t);
}

export const token = () => sessionStorage.getItem(tokenKey) || localStorage.getItem(tokenKey);
export function setToken(t) {
  const clean = t.trim();
  sessionStorage.setItem(tokenKey, clean);
  const c = claims(clean);
  if (c && c.role === 'dashboard') localStorage.setItem(tokenKey, clean);
  else localStorage.removeItem(tokenKey);
}
export function signOut() {
  sessionStorage.removeItem(tokenKey);
  localStorage.removeItem(tokenKey);
  for (const stop of signOutHooks) stop();
  signOutHooks.clear();
}
const signOutHooks = new Set(); // what runs on this token (live streams) ends with it

// The token's claims, for what the page shows and offers (the server decides what is allowed).
export function claims(t = token()) {
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export const expired = (c) => !c || (typeof c.exp === 'number' && c.exp * 1000 <= Date.now());

// Which salon a page is about: ?salon=…, else the token's only salon.
export function salonOfPage(c) {
  const asked = new URLSearchParams(location.search).get('salon');
  if (asked) return asked;
  if (c && Array.isArray(c.salons) && c.salons.length === 1) return c.salons[0];
  return null;
}

// Shows the sign-in form in place of the page (with why: expired, refused…), then reloads once a token is in.
export function showSignIn(reason) {
  const main = $('main');
  const state = $('#state');
  if (state) state.hidden = true; // nothing to connect to until a token is in
  const field = h('textarea', {id: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false'});
  const form = h('form', {class: 'card signin', onsubmit: (e) => {
    e.preventDefault();
    setToken(field.value);
    location.reload();
  }},
    h('h2', {}, 'Sign in'),
    reason ? h('p', {class: 'notice', role: 'alert'}, reason) : null,
    h('label', {for: 'token'}, 'Your salonq token'),
    field,
    h('p', {class: 'hint'}, document.body.classList.contains('board')
      ? 'Ask your manager for one, or run: salonq token issue --role dashboard --salon SALON --sign-in URL-OF-THIS-PAGE'
      : 'Ask your manager for one, or run: salonq token issue --role staff --salon SALON --staff ID'),
    h('button', {type: 'submit'}, 'Sign in'));
  main.replaceChildren(form);
  field.focus();
}

// The page's token and salon, or the sign-in form (and null) when there is no usable token.
export function signedIn() {
  adoptTokenFromAddress();
  const t = token();
  if (!t) {
    showSignIn();
    return null;
  }
  const c = claims(t);
  if (!c) {
    signOut();
    showSignIn('That is not a salonq token. Paste the whole token.');
    return null;
  }
  if (expired(c)) {
    signOut();
    showSignIn(`Your sign-in expired at ${new Date(c.exp * 1000).toLocaleString()}. Paste a new token.`);
    return null;
  }
  if (c.role === 'monitor') { // a metrics scraper's: it reads /metrics only, no salon
    signOut();
    showSignIn('That token is for collecting metrics (role monitor): it opens no screen. Paste a salon\'s token.');
    return null;
  }
  const salon = salonOfPage(c);
  if (!salon) {
    showSalonChoice(c);
    return null;
  }
  return {claims: c, salon};
}

function showSalonChoice(c) {
  const state = $('#state');
  if (state) state.hidden = true; // nothing to connect to until a salon is chosen
  const field = h('input', {id: 'salon', required: true, autocomplete: 'off'});
  const choices = Array.isArray(c.salons) ? c.salons : [];
  const open = (salon) => {
    const q = new URLSearchParams(location.search);
    q.set('salon', salon);
    location.search = q.toString();
  };
  // The token's salons, one button each (a TV's remote or a tap picks one); the field for an admin's, who may open any.
  const picks = choices.length ? h('p', {class: 'actions', id: 'salon-choices'},
    choices.map((salon) => h('button', {type: 'button', class: 'secondary', onclick: () => open(salon)}, salon))) : null;
  $('main').replaceChildren(h('form', {class: 'card signin', onsubmit: (e) => {
    e.preventDefault();
    open(field.value.trim());
  }},
    h('h2', {}, 'Which salon?'),
    picks,
    h('label', {for: 'salon'}, choices.length ? 'Or a salon id' : 'Salon id'), field,
    h('button', {type: 'submit'}, 'Open')));
  (picks ? picks.querySelector('button') : field).focus();
}

// --- the API -----------------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || `http_${status}`;
    this.field = e.field;
    this.body = body;
  }
}

// Calls the API with the page's token. Resolves to {status, body, headers} for 2xx and 304; throws ApiError for
// an error answer (a 401 also shows the sign-in form) and TypeError when the server cannot be reached.
export async function api(method, path, {body, ifMatch, idempotencyKey, ifNoneMatch, auth = true} = {}) {
  const headers = {Accept: 'application/json'};
  if (auth) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined) headers['If-Match'] = `"${ifMatch}"`;
  if (ifNoneMatch) headers['If-None-Match'] = ifNoneMatch;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store'});
  noteServerDate(res.headers);
  const text = res.status === 304 ? '' : await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.status === 401 && auth) {
    signOut();
    showSignIn(parsed && parsed.error && /expired/.test(parsed.error.code)
      ? 'Your sign-in has expired. Paste a new token.'
      : 'The server did not accept your token. Paste a valid one.');
  }
  if (!res.ok && res.status !== 304) {
    const e = new ApiError(res.status, parsed);
    e.retryAfter = res.headers.get('Retry-After');
    throw e;
  }
  return {status: res.status, body: parsed, headers: res.headers};
}

export const salonPath = (salon, rest = '') => `/v1/salons/${encodeURIComponent(salon)}${rest}`;

// A key for one intent of the user (a click): the same key on a retry, so the server decides it once.
// A fresh random key (128 bits; crypto.getRandomValues also works on a plain-http LAN address, where
// crypto.randomUUID does not).
export function newKey(what) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${what}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// --- the live queue ----------------------------------------------------------------------------------------

// The server's clock as this page best knows it: from the Date header of its last answer (a TV's or a phone's own
// clock may be minutes off). Waits are counted down with it between events, so an estimate does not freeze while
// the queue is quiet.
let clockOffset = 0; // server time - local time, ms
export function noteServerDate(headers) {
  const date = Date.parse(headers.get('Date') || '');
  if (!Number.isNaN(date)) clockOffset = date + 500 - Date.now(); // Date has whole seconds: take the middle
}
export const serverNow = () => Date.now() + clockOffset;

// What is left of a wait estimated as of `updatedAt`, now.
export function waitLeft(estimatedWaitMs, updatedAt) {
  if (estimatedWaitMs === undefined || estimatedWaitMs === null) return null;
  return Math.max(0, Date.parse(updatedAt) + estimatedWaitMs - serverNow());
}

// The page as this tab loaded it: the ETags (file hashes) of its HTML, its script and app.js. After a reconnect,
// different ones mean the server was upgraded: the tab reloads so it does not run old scripts against a new API
// (the token survives in storage).
let loadedAs = null;
async function pageTag() {
  const script = document.querySelector('script[type=module]');
  const files = [location.pathname + location.search, '/assets/app.js', script ? script.getAttribute('src') : null];
  try {
    const tags = await Promise.all(files.filter(Boolean).map(async (f) => {
      const res = await fetch(f, {cache: 'no-store'}); // GET: the server routes no HEAD
      return res.ok ? res.headers.get('ETag') : null;
    }));
    return tags.includes(null) ? null : tags.join(' ');
  } catch {
    return null;
  }
}
pageTag().then((tag) => { loadedAs = tag; });
async function reloadIfUpgraded() {
  const now = await pageTag();
  if (loadedAs && now && now !== loadedAs) location.reload();
}

// Follows a salon's queue: onView(view) for the current view and every change, in seq order; onState('live' |
// 'reconnecting' | 'signed-out' | 'failed', error). Server-Sent Events read with fetch (so the token goes in a
// header, not the address); after a drop or a server restart it reconnects with Last-Event-ID, so nothing is
// missed and the page never reloads. A connection that shows nothing for 20 s (the server writes at least every
// 15 s, a heartbeat), before or after its headers, is taken as dead: a board on the wall is frozen for 20 s at
// most after a network that dropped without a reset. Answers that retrying cannot mend (401, 403, 404) end it with onState('failed').
// Returns stop(); signing out stops it too.
export function followQueue(salon, {onView, onState}) {
  let lastSeq = null;
  let stopped = false;
  let controller = null;
  let watchdog = null;
  let wentLive = false; // this connection reached the stream
  const quiet = 20000; // a heartbeat's 15 s and 5 s of slack

  const arm = () => {
    clearTimeout(watchdog);
    const mine = controller;
    watchdog = setTimeout(() => mine.abort(), quiet);
  };
  const handle = (block) => {
    let event = 'message';
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (event !== 'view' || data.length === 0) return;
    const view = JSON.parse(data.join('\n'));
    if (id !== null) lastSeq = id;
    onView(view);
  };
  const once = async () => {
    controller = new AbortController();
    arm(); // also while waiting for the headers
    const headers = {Accept: 'text/event-stream', Authorization: `Bearer ${token()}`};
    if (lastSeq !== null) headers['Last-Event-ID'] = lastSeq;
    const res = await fetch(salonPath(salon, '/live'), {headers, signal: controller.signal, cache: 'no-store'});
    if ([401, 403, 404].includes(res.status)) {
      let body = null;
      try { body = await res.json(); } catch { body = null; }
      throw new ApiError(res.status, body);
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    noteServerDate(res.headers);
    if (lastSeq !== null) reloadIfUpgraded(); // a reconnect: is this still the server the page came from?
    wentLive = true;
    onState('live');
    arm();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      arm();
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        handle(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };
  const stop = () => {
    stopped = true;
    clearTimeout(watchdog);
    if (controller) controller.abort();
    signOutHooks.delete(stop);
  };
  signOutHooks.add(stop);
  (async () => {
    let backoff = 500;
    while (!stopped) {
      wentLive = false;
      try {
        await once();
      } catch (e) {
        if (e instanceof ApiError) {
          clearTimeout(watchdog);
          if (e.status === 401) {
            signOut();
            showSignIn('Your sign-in has expired. Paste a new token.');
            onState('signed-out', e);
          } else {
            onState('failed', e);
          }
          return;
        }
      }
      clearTimeout(watchdog);
      if (stopped) return;
      if (wentLive) backoff = 500; // a drop after a good stream starts the back-off again
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, backoff + Math.random() * 250));
      backoff = Math.min(backoff * 2, 5000);
    }
  })();
  return stop;
}

// --- words ------------------------------------------------------------------------------------------------

// "about 12 min", "now": a wait in plain words, rounded as people say it.
export function waitText(ms) {
  if (ms === undefined || ms === null) return 'no estimate yet';
  const min = Math.round(ms / 60000);
  if (min < 1) return 'any moment now';
  if (min < 60) return `about ${min} min`;
  const hours = Math.floor(min / 60);
  const rest = min % 60;
  return `about ${hours} h ${rest ? `${rest} min` : ''}`.trim();
}

// A wait told with the chance of a start before the salon's usual last start (servedTodayPct; absent: no close in
// sight). Below one in ten the wait is the close itself, so it says so instead of a number (docs/wait-prediction.md,
// "Maybe not today").
export function notToday(pct) {
  return pct !== undefined && pct !== null && pct < 10;
}

// The chance as "N in 10", N from 1 to 9 (96 %, the most below 100, is not "10 in 10").
export function inTen(pct) {
  return Math.min(9, Math.max(1, Math.round(pct / 10)));
}

// The chance in words, or null when there is nothing to say.
export function todayText(pct) {
  if (pct === undefined || pct === null || pct >= 100) return null;
  if (notToday(pct)) return 'likely not today: the salon usually stops starting services before then';
  return `may not be today: about ${inTen(pct)} in 10 chance before closing`;
}

// A wait for a list: the estimate, or "likely not today".
export function waitOrNotToday(e, updatedAt) {
  return notToday(e.servedTodayPct) ? 'likely not today' : waitText(waitLeft(e.estimatedWaitMs, updatedAt));
}

// The likely range of a wait (the estimate's low and high ends, already counted down), or null where it adds
// nothing to the estimate: no range from the server, or one that rounds to a single minute count.
export function rangeText(lowMs, highMs) {
  if (lowMs === undefined || lowMs === null || highMs === undefined || highMs === null) return null;
  const lo = Math.round(lowMs / 60000);
  const hi = Math.round(highMs / 60000);
  if (hi <= 1 || lo >= hi) return null; // under "any moment now", "within 1 min" says nothing more
  const span = (min) => (min < 60 ? `${min} min` : `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`);
  if (lo < 1) return `likely within ${span(hi)}`;
  return hi < 60 ? `likely ${lo}–${hi} min` : `likely ${span(lo)} – ${span(hi)}`;
}

export function minutes(ms) {
  return ms === undefined || ms === null ? '—' : `${Math.max(0, Math.round(ms / 60000))} min`;
}

export function clockTime(iso, timeZone) {
  if (!iso) return '';
  try {
    return new Date(iso).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', timeZone});
  } catch {
    return new Date(iso).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
  }
}

export const money = (cents) => (cents / 100).toFixed(2);

export const priorityReasons = {
  senior_citizen: 'Senior citizen',
  medical_urgency: 'Medical urgency',
  child: 'Child',
  system_exception: 'System exception',
};

// A rejection in plain words, with what the view knows (the limit, the staff member's name…).
export function rejectionText(err, view) {
  const p = view && view.priority;
  const plain = {
    priority_limit_reached: p ? `Daily priority limit reached (${p.used}/${p.limit}).` : 'Daily priority limit reached.',
    seq_conflict: 'The queue changed while you were deciding. The list is up to date now: check it and try again.',
    staff_busy: 'That staff member is serving another customer. Complete that service first.',
    staff_off_duty: 'That staff member is not clocked in.',
    staff_already_on_duty: 'That staff member is already clocked in.',
    queue_full: 'The waiting line is full: no more walk-ins for now.',
    queue_empty: 'Nobody is waiting.',
    not_waiting: 'That ticket is no longer waiting.',
    not_serving: 'That ticket is not being served.',
    not_skipped: 'That ticket is not skipped.',
    not_cancellable: 'Only a waiting or skipped ticket can be cancelled.',
    invalid_amount: 'That amount is not possible. Check it and try again.',
    invalid_reason: 'Give a reason.',
    unknown_staff: 'That person is not on this salon\'s staff.',
    salon_not_found: 'There is no such salon. Check the address.',
    ticket_not_found: 'That ticket is no longer active.',
    invalid_customer: 'Give the customer a name or a phone number.',
    unknown_service: 'Choose services from the catalogue.',
    token_pool_exhausted: 'Every token is in use: finish or cancel some tickets first.',
    forbidden_role: 'Only a manager or the owner may do this.',
    forbidden_action: 'Your role may not do this. Ask a manager.',
    forbidden_salon: 'Your token is not for this salon.',
    rate_limited: 'Too many requests: wait a moment.',
  };
  if (plain[err.code]) return plain[err.code];
  if (err.status === 412) return plain.seq_conflict;
  if (err.status === 503) return 'The server is busy or restarting. Try again in a moment.';
  if (err.status >= 500) return 'Something went wrong on the server. Try again; if it keeps happening, tell the manager.';
  if (err.status === 0 || err instanceof TypeError) return 'The server cannot be reached. Check the network and try again.';
  return err.field ? `${err.message} (${err.field})` : err.message;
}

// Shows a connection state in the page's status element: live, reconnecting….
export function showState(el, state) {
  const words = {live: 'Live', reconnecting: 'Reconnecting…', 'signed-out': 'Signed out', failed: 'Stopped'};
  el.textContent = words[state] || state;
  el.dataset.state = state;
}

export function staffName(view, id) {
  const s = view && view.staff.find((m) => m.staffId === id);
  return s ? s.name : id;
}

export function serviceNames(view, codes) {
  return codes.map((c) => {
    const s = view && view.services.find((x) => x.code === c);
    return s ? s.name : c;
  }).join(', ');
}
