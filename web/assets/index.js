// The index: the screens this token may open, for the salon it is for. Without a token, the sign-in form.
import {$, api, h, salonPath, signedIn, signOut} from './app.js';

const screens = [
  {path: '/board', name: 'Queue board', what: 'For the TV on the wall: who is served, who is next, how long.',
    roles: ['dashboard', 'pos', 'staff', 'manager', 'owner', 'analyst', 'admin']},
  {path: '/console', name: 'Front-desk console', what: 'Walk-ins, starts, completions, skips, staff on duty.',
    roles: ['pos', 'staff', 'manager', 'owner', 'admin']},
  {path: '/owner', name: 'Owner view', what: 'Days and hours, staff, priority audit, prediction accuracy, staffing.',
    roles: ['manager', 'owner', 'analyst', 'admin']},
];

const session = signedIn();
if (session) {
  const {claims, salon} = session;
  $('#who').textContent = `${claims.sub || ''} · ${claims.role}`;
  const q = `?salon=${encodeURIComponent(salon)}`;
  const links = screens.filter((s) => s.roles.includes(claims.role)).map((s) =>
    h('a', {class: 'card', href: s.path + q}, h('strong', {}, s.name), h('p', {}, s.what)));
  const title = h('h2', {}, `Salon ${salon}`);
  $('#main').replaceChildren(
    title,
    h('nav', {class: 'screens', 'aria-label': 'Screens'}, links),
    h('p', {}, h('button', {class: 'secondary', type: 'button', onclick: () => { signOut(); location.reload(); }}, 'Sign out')));
  // The salon's own name once its queue answers (the id stays if it does not: the links work either way).
  api('GET', salonPath(salon, '/queue')).then((r) => {
    if (r.body && r.body.name) {
      title.textContent = `${r.body.name} (${salon})`;
    }
  }).catch(() => {});
}
