// app.js -- the werkbank's start: login, the menu, the live stream and a
// small router over /ui/... paths (History API; casusd answers every page
// path with index.html).  Each page is a module that draws into <main>.

import { setToken, forgetToken, token, who, whenUnauthenticated, ApiError, get } from './api.js';
import { h, append, clear, announce, setServerNow } from './dom.js';
import { LiveStream } from './stream.js';
import { werkvoorraadPage } from './werkvoorraad.js';
import { casussenPage } from './casussen.js';
import { casusPage } from './casus.js';
import { contractmanagerPage } from './contractmanager.js';
import { nieuwPage } from './nieuw.js';

const main = document.getElementById('inhoud');
const menu = document.getElementById('menu');
const logoutButton = document.getElementById('uitloggen');
const liveEl = document.getElementById('live');
const whoEl = document.getElementById('wie');

// Who wants the stream's items: the pages that are showing, and the announcer.
const listeners = new Set();
const stream = new LiveStream(
  (item) => {
    announce(`Nieuw in uw werkvoorraad: ${item.title || item.kind}`);
    for (const fn of listeners) fn(item);
  },
  (status) => {
    liveEl.hidden = false;
    liveEl.dataset.status = status;
    liveEl.textContent = { verbinden: 'Live: verbinden…', verbonden: 'Live: bijgewerkt', onderbroken: 'Live: verbinding herstellen…' }[status] || '';
  },
);

const routes = [
  [/^\/ui\/?$/, null],
  [/^\/ui\/inloggen$/, loginPage, 'inloggen'],
  [/^\/ui\/werkvoorraad$/, werkvoorraadPage, 'werkvoorraad'],
  [/^\/ui\/casussen$/, casussenPage, 'casussen'],
  [/^\/ui\/casus\/([A-Za-z0-9_.@-]+)$/, casusPage, 'casussen'],
  [/^\/ui\/contractmanager$/, contractmanagerPage, 'contractmanager'],
  [/^\/ui\/nieuw$/, nieuwPage, 'nieuw'],
];

let generation = 0;
let loginNotice = null;
let afterLogin = null;
let meAsked = false; // GET /v1/me asked since this page loaded

export function navigate(path, replace) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render(true);
}

async function render(moveFocus) {
  const gen = ++generation;
  listeners.clear();
  const path = location.pathname;
  let route = routes.find(([re]) => re.test(path));
  if (!token() && (!route || route[1] !== loginPage)) {
    afterLogin = route && route[1] ? path + location.search : null;
    history.replaceState(null, '', '/ui/inloggen');
    route = routes[1];
  } else if (token() && (!route || route[1] === null || route[1] === loginPage)) {
    if (route && route[1] === loginPage) loginNotice = null;
    history.replaceState(null, '', '/ui/werkvoorraad');
    route = routes[2];
  }
  const loggedIn = !!token();
  menu.hidden = !loggedIn;
  logoutButton.hidden = !loggedIn;
  if (!loggedIn) liveEl.hidden = true;
  if (loggedIn && (!who() || !meAsked)) {
    // Once per page load (and for a tab logged in before /v1/me was asked):
    // who the token is, and the service's clock.
    meAsked = true;
    try {
      const me = await get('/v1/me');
      setToken(token(), me);
      setServerNow(me.now);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
    }
    if (gen !== generation) return;
  }
  showWho(loggedIn ? who() : null);
  for (const a of menu.querySelectorAll('a')) {
    if (a.dataset.pagina === route[2]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (loggedIn) stream.start();
  clear(main);
  const ctx = {
    main,
    match: route[0].exec(location.pathname),
    query: new URLSearchParams(location.search),
    current: () => gen === generation,
    onItem: (fn) => listeners.add(fn),
    navigate,
    setTitle: (t) => {
      document.title = `${t} — Werkbank casusd`;
    },
  };
  try {
    await route[1](ctx);
  } catch (err) {
    if (!ctx.current()) return;
    if (err instanceof ApiError && err.status === 401) return;
    main.append(h('div', { class: 'melding fout', role: 'alert' }, h('p', null, `Er ging iets mis: ${err.message}`)));
  }
  // After a navigation the page's first heading (or the field it asks for) gets the focus, so that a
  // screen reader starts there; on the first load only a field asked for.
  if (ctx.current() && (moveFocus || main.querySelector('[data-autofocus]'))) {
    const target = main.querySelector('[data-autofocus]') || main.querySelector('h1');
    if (target) {
      if (!target.hasAttribute('tabindex') && target.tagName === 'H1') target.setAttribute('tabindex', '-1');
      target.focus();
    }
  }
}

async function loginPage(ctx) {
  ctx.setTitle('Inloggen');
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'token-uitleg', 'data-autofocus': true,
  });
  const error = h('div', { id: 'inlog-fout', role: 'alert' });
  // method post: were the script ever not to run, the token still would not end up in a URL.
  const form = h('form', { class: 'inloggen', method: 'post', novalidate: true },
    h('div', { class: 'veld' },
      h('label', { for: 'token' }, 'Token'),
      h('p', { class: 'hint', id: 'token-uitleg' },
        'Het token dat u van uw beheerder kreeg. Het blijft alleen in dit tabblad bewaard en staat nooit in een adres.'),
      input),
    h('button', { type: 'submit', class: 'knop' }, 'Inloggen'), error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(error);
    const t = input.value.trim();
    if (!t) {
      error.append(h('p', { class: 'melding fout' }, 'Vul uw token in.'));
      input.focus();
      return;
    }
    // The token is checked before it is kept: one request with it, nothing stored until it is known.
    let problem = null;
    let me = null;
    try {
      const resp = await fetch('/v1/me', { headers: { Authorization: 'Bearer ' + t }, cache: 'no-store' });
      if (resp.status === 401) problem = 'Dit token is niet bekend. Controleer het en probeer het opnieuw.';
      else if (!resp.ok) problem = `Inloggen lukt niet (HTTP ${resp.status}).`;
      else me = await resp.json();
    } catch (err) {
      problem = `Inloggen lukt niet: de werkbank bereikt de server niet (${err.message}).`;
    }
    if (problem) {
      error.append(h('p', { class: 'melding fout' }, problem));
      input.focus();
      return;
    }
    setToken(t, me);
    setServerNow(me.now);
    meAsked = true;
    loginNotice = null;
    const to = afterLogin || '/ui/werkvoorraad';
    afterLogin = null;
    navigate(to);
  });
  append(ctx.main, [h('h1', null, 'Inloggen'),
    loginNotice ? h('p', { class: 'melding info', role: 'status' }, loginNotice) : null, form]);
}

// The menu shows each role its own pages (GET /v1/me): the contractmanager's queue to the
// contractmanager, "Nieuwe casus" to roles that may create a case; and who is logged in.
function showWho(me) {
  whoEl.hidden = !me;
  whoEl.replaceChildren();
  if (me) whoEl.append(h('span', { class: 'wie-id' }, me.id), h('span', { class: 'wie-rol' }, `${me.role}, ${me.org}`));
  for (const a of menu.querySelectorAll('a')) {
    let shown = true;
    if (me && a.dataset.pagina === 'contractmanager') shown = me.role === 'contractmanager';
    if (me && a.dataset.pagina === 'nieuw') shown = Array.isArray(me.creates) && me.creates.length > 0;
    a.parentElement.hidden = !shown;
  }
}

function logout(notice) {
  stream.stop();
  forgetToken();
  loginNotice = notice;
  navigate('/ui/inloggen');
}

whenUnauthenticated(() => {
  if (token()) logout('Uw token is niet (meer) geldig. Log opnieuw in.');
});

logoutButton.addEventListener('click', () => logout('U bent uitgelogd. Het token is vergeten.'));

// Links within the werkbank are followed without reloading the page.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/')) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render(true));
render(false);
