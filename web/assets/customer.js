// A customer's own page, from the link their walk-in gave (no sign-in): their token, their place and estimated
// wait, and, clearly, when they are called, skipped or done. It asks the server every few seconds with the
// last answer's ETag, so an unchanged queue costs a 304 (docs/screens.md says why polling, not a stream, here).
import {$, h, api, showState, waitText, waitLeft, rangeText, clockTime, notToday, todayText} from './app.js';

const every = 3000;
// The link's parts stay as the address has them (already escaped for a path).
const [, , salon, ticket, code] = location.pathname.split('/');
const link = `/v1/public/tickets/${salon}/${ticket}/${code}`;
let etag = null;
let over = false;
let timer = null;
let pause = 0; // a 429's Retry-After
let busy = false; // one request at a time, whatever wakes the page
let last = null; // the last answer: redrawn on a 304, so the wait counts down
let shownStatus = null; // an alert is announced when the status changes, not on every redraw

const ended = {
  completed: 'Your visit is complete. Thank you!',
  cancelled: 'This ticket was cancelled.',
  no_show: 'This ticket has ended: you were not there when called.',
};

// The wait's likely range under the estimate (about four customers in five are called within it), if it says more.
function likely(t) {
  const text = rangeText(waitLeft(t.estimatedWaitLowMs, t.updatedAt), waitLeft(t.estimatedWaitHighMs, t.updatedAt));
  return text ? h('span', {class: 'range', id: 'wait-range'}, text) : null;
}

// Whether the salon is likely to start this ticket today, when that is in doubt, and what to do about it.
function todaySentence(pct) {
  const ask = 'Please ask at the front desk.';
  if (notToday(pct)) return `The salon usually stops starting services before your turn would come. ${ask}`;
  return `${todayText(pct).replace(/^./, (c) => c.toUpperCase())}. ${ask}`;
}

function render(t) {
  last = t;
  const changed = t.status !== shownStatus;
  shownStatus = t.status;
  const alert = changed ? 'alert' : null;
  $('#salon-name').textContent = t.salonName || t.salonId;
  document.title = `${t.token} · ${t.salonName || t.salonId}`;
  const parts = [h('p', {class: 'hint'}, 'Your token'), h('span', {class: 'token', id: 'token'}, t.token)];
  if (t.status === 'waiting') {
    const ahead = t.position - 1;
    parts.push(h('p', {class: 'big', id: 'status'}, ahead === 0 ? 'You are next' : `Number ${t.position} in line`),
      h('dl', {}, ahead > 0 ? [h('dt', {}, 'Ahead of you'), h('dd', {id: 'ahead'}, ahead === 1 ? '1 person' : `${ahead} people`)] : null,
        h('dt', {}, 'Estimated wait'), notToday(t.servedTodayPct)
          ? h('dd', {id: 'wait'}, 'Likely not today')
          : h('dd', {id: 'wait'}, waitText(waitLeft(t.estimatedWaitMs, t.updatedAt)), likely(t)),
        t.estimatedStart && !notToday(t.servedTodayPct)
          ? [h('dt', {}, 'Around'), h('dd', {id: 'around'}, clockTime(t.estimatedStart, t.timezone))] : null,
        todayText(t.servedTodayPct) ? [h('dt', {}, 'Today'), h('dd', {id: 'today'}, todaySentence(t.servedTodayPct))] : null));
  } else if (t.status === 'serving') {
    parts.push(h('p', {class: 'status-called', id: 'status', role: alert},
      `It's your turn! Please go to ${t.staffName || 'the front desk'}.`));
  } else if (t.status === 'skipped') {
    parts.push(h('p', {class: 'status-skipped', id: 'status', role: alert},
      'You were called but we could not find you. Please see the front desk to get your place back.'));
  } else {
    over = true;
    parts.push(h('p', {class: 'status-over', id: 'status'}, ended[t.status] || 'This ticket has ended.'));
  }
  $('#ticket').replaceChildren(...parts);
}

// An ended ticket is not asked about again: the page stops saying it is live and updates by itself.
function stopped() {
  $('#state').hidden = true;
  $('#updates').hidden = true;
}

function gone(text) {
  over = true;
  $('#ticket').replaceChildren(h('p', {class: 'status-over', id: 'status'}, text));
}

async function poll() {
  clearTimeout(timer);
  if (busy) return;
  busy = true;
  try {
    const r = await api('GET', link, {auth: false, ifNoneMatch: etag});
    showState($('#state'), 'live');
    if (r.status === 200) {
      etag = r.headers.get('ETag');
      render(r.body);
    } else if (last) {
      render(last);
    }
  } catch (e) {
    if (e.status === 404) gone('This ticket link is not valid, or the ticket ended long ago.');
    else showState($('#state'), 'reconnecting');
    if (e.status === 429) pause = 1000 * Number(e.retryAfter || 5);
  } finally {
    busy = false;
  }
  if (over) stopped();
  else timer = setTimeout(poll, Math.max(pause, document.hidden ? every * 4 : every));
  pause = 0;
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !over) poll();
});
poll();
