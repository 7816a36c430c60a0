// The owner's view: a day's or a period's figures (the stats projection), arrivals and waits by hour (or by day
// over a period), served per staff member, the wait prediction's accuracy, the staffing advice for the week ahead
// and the audit of priority starts. Everything comes from the API with the owner's (or a manager's or an
// analyst's) token; nothing is computed here beyond sums over days.
import {$, h, signedIn, api, salonPath, rejectionText, money, priorityReasons, clockTime, staffName} from './app.js';
import {barChart} from './charts.js';

const session = signedIn();
let view = null; // the queue view: the salon's name, time zone and staff names

const min = (ms) => (ms === null || ms === undefined ? null : Math.round(ms / 6000) / 10);
const fmtMin = (v) => `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} min`;
const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`);
const sum = (days, f) => days.reduce((acc, d) => acc + (f(d) || 0), 0);

// The salon's local date, n days before today.
function localDay(offset = 0) {
  const d = new Date(Date.now() - offset * 86400000);
  const parts = new Intl.DateTimeFormat('en-CA', {timeZone: view?.timezone, year: 'numeric', month: '2-digit', day: '2-digit'}).format(d);
  return parts; // YYYY-MM-DD
}

function figure(value, label) {
  return h('div', {class: 'figure'}, h('b', {}, value), h('span', {}, label));
}

function renderFigures(days, single) {
  const d = single ? days[0] : null;
  const walkIns = sum(days, (x) => x.walkIns);
  $('#figures').replaceChildren(...[ // a day's medians and busy share only: replaceChildren would write null as "null"
    figure(walkIns, 'walk-ins'),
    figure(sum(days, (x) => x.served), 'served'),
    figure(sum(days, (x) => x.cancelled), 'cancelled'),
    figure(sum(days, (x) => x.noShows), 'no-shows'),
    figure(sum(days, (x) => x.skips), 'skips'),
    figure(sum(days, (x) => x.priorityStarts), 'priority starts'),
    figure(money(sum(days, (x) => x.revenueCents)), 'revenue'),
    d ? figure(d.waitMs ? fmtMin(min(d.waitMs.p50)) : '—', 'median wait') : null,
    d ? figure(d.waitMs ? fmtMin(min(d.waitMs.p90)) : '—', 'wait, 9 in 10 under') : null,
    // Over several days, the busy share of all their hours on duty (a day's medians do not add up: see the chart).
    figure(pct(busyShare(days)), 'staff busy'),
    single ? null : h('p', {class: 'hint figures-note'},
      'Median waits are by day over a period: see "Waits by day" below, or pick a single day.'),
  ].filter(Boolean));
}

// The staff's busy time over their time on duty, over the days; none without time on duty.
function busyShare(days) {
  const onDuty = sum(days, (x) => x.onDutyMs || 0);
  return onDuty > 0 ? sum(days, (x) => x.busyMs || 0) / onDuty : null;
}

function renderCharts(days, single) {
  if (single) {
    const hours = days[0].byHour;
    const labels = hours.map((x) => `${String(x.hour).padStart(2, '0')}h`);
    $('#arrivals').replaceChildren(barChart({title: 'Arrivals by hour', labels,
      series: [{name: 'arrivals', values: hours.map((x) => x.arrivals)}]}));
    $('#waits').replaceChildren(barChart({title: 'Waits by hour of arrival (minutes)', labels, format: fmtMin,
      series: [{name: 'median', values: hours.map((x) => min(x.waitMs?.p50))},
        {name: '9 in 10 under', values: hours.map((x) => min(x.waitMs?.p90)), alt: true}]}));
  } else {
    const labels = days.map((x) => x.day.slice(5));
    $('#arrivals').replaceChildren(barChart({title: 'Walk-ins by day', labels,
      series: [{name: 'walk-ins', values: days.map((x) => x.walkIns)}]}));
    $('#waits').replaceChildren(barChart({title: 'Waits by day (minutes)', labels, format: fmtMin,
      series: [{name: 'median', values: days.map((x) => min(x.waitMs?.p50))},
        {name: '9 in 10 under', values: days.map((x) => min(x.waitMs?.p90)), alt: true}]}));
  }
  const served = new Map();
  for (const d of days) for (const s of d.staff) served.set(s.staffId, (served.get(s.staffId) || 0) + s.served);
  const ids = [...served.keys()];
  $('#staff').replaceChildren(ids.length
    ? barChart({title: 'Served per staff member', labels: ids.map((id) => staffName(view, id)),
      series: [{name: 'served', values: ids.map((id) => served.get(id))}]})
    : h('p', {class: 'empty'}, 'Nobody was served in this period.'));
}

let asked = 0; // the latest period asked for: an older answer arriving late is dropped

async function loadStats(from, to) {
  const error = $('#period-error');
  error.hidden = true;
  const mine = ++asked;
  try {
    const q = from === to ? `?day=${from}` : `?from=${from}&to=${to}`;
    const r = await api('GET', salonPath(session.salon, `/stats${q}`));
    if (mine !== asked) return;
    const days = r.body.days.filter((d) => d.walkIns > 0 || d.served > 0);
    $('#period-title').textContent = from === to ? `Figures for ${from}` : `Figures from ${from} to ${to}`;
    if (days.length === 0) {
      $('#figures').replaceChildren(h('p', {class: 'empty'}, 'No visits in this period.'));
      for (const id of ['#arrivals', '#waits', '#staff', '#accuracy']) $(id).replaceChildren(h('p', {class: 'empty'}, 'No data.'));
      return;
    }
    const single = from === to;
    renderFigures(single ? r.body.days : days, single);
    renderCharts(single ? r.body.days : days, single);
    renderAccuracy(days, single);
  } catch (e) {
    if (mine !== asked) return;
    error.textContent = rejectionText(e, view);
    error.hidden = false;
  }
}

async function loadAudit() {
  try {
    // The log pages forward from the oldest: follow it to the end for the latest 50.
    let starts = [];
    for (let after = 0; ;) {
      const r = await api('GET', salonPath(session.salon, `/priority-log?limit=1000&after=${after}`));
      starts = starts.concat(r.body.priorityStarts).slice(-50);
      if (r.body.nextAfter === undefined || r.body.nextAfter === null || r.body.priorityStarts.length === 0) break;
      after = r.body.nextAfter;
    }
    const rows = starts.reverse().map((e) => h('tr', {},
      h('td', {}, `${e.payload.day} ${clockTime(e.at, view?.timezone)}`),
      h('td', {}, priorityReasons[e.payload.reason] || e.payload.reason),
      h('td', {}, `${staffName(view, e.payload.orderedBy)} (${e.payload.orderedByRole})`),
      h('td', {}, staffName(view, e.payload.staffId)),
      h('td', {class: 'num'}, e.payload.positionBefore),
      h('td', {class: 'num'}, `${Math.round(e.payload.waitedMs / 60000)} min`),
      h('td', {class: 'num'}, e.payload.usedToday)));
    $('#audit').replaceChildren(rows.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ['When', 'Reason', 'Ordered by', 'Served by', 'Was position', 'Had waited', 'Used that day']
        .map((c) => h('th', {scope: 'col'}, c)))), h('tbody', {}, rows))
      : h('p', {class: 'empty'}, 'No priority starts yet.'));
  } catch (e) {
    $('#audit').replaceChildren(h('p', {class: 'error'}, rejectionText(e, view)));
  }
}

function period(days) {
  $('#to').value = localDay(0);
  $('#from').value = localDay(days - 1);
  loadStats($('#from').value, $('#to').value);
}

async function start() {
  $('#who').textContent = `${session.claims.sub || ''} · ${session.claims.role}`;
  try {
    view = (await api('GET', salonPath(session.salon, '/queue'))).body;
    $('#salon-name').textContent = `${view.name || view.salonId} · Owner view`;
  } catch (e) {
    $('#main').replaceChildren(h('p', {class: 'error', role: 'alert'}, rejectionText(e, null)));
    return;
  }
  $('#period').addEventListener('submit', (e) => {
    e.preventDefault();
    loadStats($('#from').value, $('#to').value);
  });
  for (const b of document.querySelectorAll('#period [data-days]')) b.addEventListener('click', () => period(Number(b.dataset.days)));
  period(1);
  loadAudit();
  loadStaffing();
}

// How far the waits customers were told were from the waits they had, over the period's days: salonq's predictor
// beside the old way (the sum of the durations ahead), averaged over the scored walk-ins.
function renderAccuracy(days, single) {
  const scored = sum(days, (d) => d.prediction?.scored);
  if (!scored) {
    $('#accuracy').replaceChildren(h('p', {class: 'empty'}, 'No walk-in with an estimate was served in this period.'),
      ...[sentHomeLine(days)].filter(Boolean));
    return;
  }
  const mean = (who, field) => sum(days, (d) => (d.prediction?.[who]?.[field] ?? 0) * (d.prediction?.scored || 0)) / scored;
  const signed = (ms) => `${ms >= 0 ? '+' : '−'}${Math.abs(Math.round(ms / 6000) / 10)} min`;
  const row = (name, who) => h('tr', {},
    h('th', {scope: 'row'}, name),
    h('td', {class: 'num'}, fmtMin(min(mean(who, 'meanAbsErrorMs')))),
    single ? h('td', {class: 'num'}, fmtMin(min(days[0].prediction[who].p90AbsErrorMs ?? 0))) : null,
    h('td', {class: 'num'}, signed(mean(who, 'biasMs'))));
  $('#accuracy').replaceChildren(
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Estimate'), h('th', {scope: 'col'}, 'Off by, on average'),
        single ? h('th', {scope: 'col'}, '9 in 10 within') : null, h('th', {scope: 'col'}, 'Told too long (+) or short (−)'))),
      h('tbody', {}, row('salonq', 'predictor'), row('Sum of the services ahead (the old way)', 'sumAhead'))),
    h('p', {class: 'hint'}, `Over the ${scored} walk-ins whose service began in this period (those still in a chair too), the wait they were told when they joined against the wait they had.`),
    ...[rangeLine(days), sentHomeLine(days)].filter(Boolean)); // replaceChildren would write a null as "null"
}

// Who was still waiting, never called, when the day was closed, and how many of them had been told a start today
// with no doubt (no "may not be today" on their ticket).
function sentHomeLine(days) {
  const sent = sum(days, (d) => d.prediction?.sentHome);
  if (!sent) return null;
  const sure = sum(days, (d) => d.prediction?.sentHomeToldToday);
  return h('p', {id: 'sent-home'}, `Still waiting when the day was closed: ${sent} `
    + `${sent === 1 ? 'walk-in' : 'walk-ins'}; ${sure} of them had been told they would be served that day, `
    + `with no "may not be today".`);
}

// How often the likely range told with the estimate held the actual wait (it is meant to hold about four in five).
function rangeLine(days) {
  const count = (field) => sum(days, (d) => d.prediction?.likelyRange?.[field]);
  const within = count('within');
  const ranged = within + count('before') + count('after');
  if (!ranged) return null;
  return h('p', {id: 'range-held'}, `Called within the likely range they were told: ${within} of ${ranged} `
    + `(${Math.round((100 * within) / ranged)} %; ${count('before')} sooner, ${count('after')} later).`);
}

// The staffing advice for the week ahead: per weekday and hour, the fewest staff whose simulated weeks keep 9 in
// 10 waits under the target, beside the staff the salon had.
async function loadStaffing(target = 15, tries = 5) {
  const box = $('#staffing');
  try {
    const r = await api('GET', salonPath(session.salon, `/staffing?targetWait=${target}`));
    const advice = r.body;
    if (advice.status === 'not_enough_history') {
      box.replaceChildren(h('p', {class: 'empty'},
        `The advice needs ${advice.minHistoryDays} days of history; this salon has ${advice.historyDays} so far.`));
      return;
    }
    if (advice.status !== 'ok' || advice.hours.length === 0) {
      box.replaceChildren(h('p', {class: 'empty'}, 'No visits to learn from yet.'));
      return;
    }
    renderStaffing(advice);
  } catch (e) {
    if (e.status === 503 && e.code === 'busy' && tries > 0) { // computed on a worker thread: ask again shortly
      box.replaceChildren(h('p', {class: 'hint'}, 'Working out the advice…'));
      setTimeout(() => loadStaffing(target, tries - 1), 1500);
      return;
    }
    box.replaceChildren(h('p', {class: 'error'}, rejectionText(e, view)));
  }
}

function renderStaffing(advice) {
  const days = [...new Set(advice.hours.map((x) => x.weekday))];
  const busy = advice.hours.filter((x) => x.arrivalsPerHour > 0 || x.observedStaff > 0);
  const hours = [...new Set(busy.map((x) => x.hour))].sort((a, b) => a - b);
  const at = new Map(advice.hours.map((x) => [`${x.weekday} ${x.hour}`, x]));
  const cell = (day, hour) => {
    const x = at.get(`${day} ${hour}`);
    if (!x || (x.arrivalsPerHour === 0 && x.observedStaff === 0)) return h('td', {class: 'empty'}, '·');
    const had = Math.round(x.observedStaff * 10) / 10;
    const kind = x.staff > Math.ceil(x.observedStaff) ? 'more' : x.staff < Math.floor(x.observedStaff) ? 'less' : null;
    const wait = x.waitP90Ms === null ? '' : `, 9 in 10 wait under ${Math.round(x.waitP90Ms / 60000)} min`;
    return h('td', {class: kind, title: `${day} ${hour}:00: ${x.staff} staff (had ${had})${wait}`},
      String(x.staff), h('span', {class: 'hint'}, ` (${had})`));
  };
  $('#staffing').replaceChildren(
    h('p', {class: 'hint'}, `Staff needed so that 9 in 10 customers wait under ${Math.round(advice.targetWaitMs / 60000)} min, ` +
      `learned from ${advice.from} to ${advice.to} and checked over ${advice.simulatedWeeks} simulated weeks. ` +
      'In brackets: the staff the salon had on average. Red: more needed; green: fewer would do.'),
    h('table', {class: 'staffing'},
      h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Hour'), days.map((d) => h('th', {scope: 'col'}, d)))),
      h('tbody', {}, hours.map((hour) => h('tr', {}, h('th', {scope: 'row'}, `${String(hour).padStart(2, '0')}:00`),
        days.map((d) => cell(d, hour)))))));
}

if (session) start();
