// A customer's own page, from the link their walk-in gave (no sign-in): their token, their place and estimated
// wait, and, clearly, when they are called, skipped or done. It asks the server every few seconds with the
// last answer's ETag, so an unchanged queue costs a 304 (docs/screens.md says why polling, not a stream, here).
import {$, h, api, showState, waitText, clockTime} from './app.js';

const every = 3000;
const [, , salon, ticket, code] = location.pathname.split('/').map(decodeURIComponent);
const link = `/v1/public/tickets/${encodeURIComponent(salon)}/${encodeURIComponent(ticket)}/${encodeURIComponent(code)}`;
let etag = null;
let over = false;
let timer = null;
let busy = false; // one request at a time, whatever wakes the page

const ended = {
  completed: 'Your visit is complete. Thank you!',
  cancelled: 'This ticket was cancelled.',
  no_show: 'This ticket has ended: you were not there when called.',
};

function render(t) {
  $('#salon-name').textContent = t.salonName || t.salonId;
  document.title = `${t.token} · ${t.salonName || t.salonId}`;
  const parts = [h('p', {class: 'hint'}, 'Your token'), h('span', {class: 'token', id: 'token'}, t.token)];
  if (t.status === 'waiting') {
    parts.push(h('p', {class: 'big', id: 'status'}, t.position === 1 ? 'You are next' : `${t.position} in line`),
      h('dl', {}, h('dt', {}, 'Estimated wait'), h('dd', {id: 'wait'}, waitText(t.estimatedWaitMs)),
        t.estimatedStart ? [h('dt', {}, 'Around'), h('dd', {}, clockTime(t.estimatedStart))] : null));
  } else if (t.status === 'serving') {
    parts.push(h('p', {class: 'status-called', id: 'status', role: 'alert'},
      `It's your turn! Please go to ${t.staffName || 'the front desk'}.`));
  } else if (t.status === 'skipped') {
    parts.push(h('p', {class: 'status-skipped', id: 'status', role: 'alert'},
      'You were called but we could not find you. Please see the front desk to get your place back.'));
  } else {
    over = true;
    parts.push(h('p', {class: 'status-over', id: 'status'}, ended[t.status] || 'This ticket has ended.'));
  }
  $('#ticket').replaceChildren(...parts);
}

function gone(text) {
  over = true;
  $('#ticket').replaceChildren(h('p', {class: 'status-over', id: 'status'}, text));
  $('#state').textContent = '';
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
    }
  } catch (e) {
    if (e.status === 404) gone('This ticket link is not valid, or the ticket ended long ago.');
    else showState($('#state'), 'reconnecting');
  } finally {
    busy = false;
  }
  if (!over) timer = setTimeout(poll, document.hidden ? every * 4 : every);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !over) poll();
});
poll();
