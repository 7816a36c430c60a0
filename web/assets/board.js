// The queue board: a TV on the salon's wall, read-only. Who is being served and by whom, who is next and how long
// they wait, and what a walk-in would wait now. Customers appear by token only (the board is in a public room).
// Live over the salon's stream; after a drop or a server restart it resumes by itself from the last seq.
import {$, h, signedIn, signOut, showSignIn, followQueue, showState, rejectionText, waitText, waitLeft,
  rangeText, notToday, waitOrNotToday, inTen} from './app.js';

const shown = 8; // waiting tokens on the board: more do not fit across a room
const session = signedIn();
let timeZone;
let current = null; // the last view: redrawn every 30 s so that waits count down while the queue is quiet
let known = null; // the tickets in service on the last view (none before the first): new ones flash

function tick() {
  $('#clock').textContent = new Date().toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', timeZone});
}

// A newcomer's likely range beside their estimate, if it says more than the estimate, and whether it may be too late
// for today.
function joinRange(view) {
  const pct = view.joinNow.servedTodayPct;
  const text = rangeText(waitLeft(view.joinNow.estimatedWaitLowMs, view.updatedAt),
    waitLeft(view.joinNow.estimatedWaitHighMs, view.updatedAt));
  const today = pct !== undefined ? `may not be today: ${inTen(pct)} in 10 before closing` : null;
  const said = [text, today].filter(Boolean).join('; ');
  return said ? h('span', {class: 'range'}, ` (${said})`) : '';
}

function joinNow(view) {
  if (notToday(view.joinNow.servedTodayPct)) return ['Walk in now: ', h('strong', {}, 'likely not served today')];
  return ['Walk in now: ', h('strong', {}, waitText(waitLeft(view.joinNow.estimatedWaitMs, view.updatedAt))),
    joinRange(view)];
}

function render(view) {
  current = view;
  timeZone = view.timezone;
  $('#salon-name').textContent = view.name || view.salonId;
  document.title = `${view.name || view.salonId} · Queue board`;
  const serving = view.serving.map((t) => h('li', {class: known && !known.has(t.ticketId) ? 'fresh' : null,
    dataset: {ticket: t.ticketId}},
    h('span', {class: 'token'}, t.token),
    h('span', {class: 'with'}, `with ${t.staffName || t.staffId}`)));
  $('#serving').replaceChildren(...(serving.length ? serving : [h('li', {class: 'empty'}, 'Nobody is being served')]));
  known = new Set(view.serving.map((t) => t.ticketId));

  const next = view.waiting.slice(0, shown).map((t) => h('li', {dataset: {ticket: t.ticketId}},
    h('span', {class: 'token'}, t.token),
    h('span', {class: 'wait'}, waitOrNotToday(t, view.updatedAt))));
  if (view.waiting.length > shown) next.push(h('li', {class: 'more'}, h('span', {}, `+ ${view.waiting.length - shown} more`)));
  $('#next').replaceChildren(...(next.length ? next : [h('li', {class: 'empty'}, 'No one waiting')]));

  const onDuty = view.staff.filter((s) => s.onDuty).length;
  $('#join-now').replaceChildren(...(view.joinNow ? joinNow(view) : [onDuty ? '' : 'No one is on duty right now']));
  const skipped = view.skipped.map((t) => t.token);
  $('#see-desk').textContent = skipped.length ? `Please see the front desk: ${skipped.join(', ')}` : '';
  tick();
}

if (session) {
  tick();
  setInterval(tick, 10000);
  setInterval(() => current && render(current), 30000);
  followQueue(session.salon, {
    onView: render,
    onState: (state, err) => {
      showState($('#state'), state);
      if (state === 'failed' && err.status === 404) {
        $('#board').replaceChildren(h('p', {class: 'error', role: 'alert'},
          `There is no salon "${session.salon}". Check the address.`));
      } else if (state === 'failed') { // a token for another salon: a TV would keep it for good, so ask for another
        signOut();
        showSignIn(`${rejectionText(err, null)} Sign in with a token for salon "${session.salon}".`);
      }
    },
  });
}
