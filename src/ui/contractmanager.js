// contractmanager.js -- the contract manager's queue: the cases that reached
// the contractmanager role (termination forms copied to it, escalations),
// each in the view the API gives the caller (anonymised for the
// contractmanager, R-PRIV-1), with its deadlines: the feedback date
// (terugkoppeling) among them.
//
// Two sources, because the API names no such list: the page of
// GET /v1/cases whose cases carry `notified.contractmanager` (where the
// server records when a case reached that role; a contractmanager lists
// only those cases), and the caller's inbox items addressed to the
// contractmanager role (each case then read once).

import { get, query } from './api.js';
import { h, caseLink, formatDate, formatTime, daysLeftText, isOverdue, jeugdige, statusBadge, label, errorBox } from './dom.js';

const ROLE = 'contractmanager';
const PAGE = 50;
const INBOX_PAGE = 100;
const INBOX_PAGES_MAX = 5; // at most 500 inbox items are looked at

export async function contractmanagerPage(ctx) {
  ctx.setTitle('Contractmanager');
  const list = h('div', { id: 'cm-wachtrij' });
  ctx.main.append(h('h1', null, 'Contractmanager'),
    h('p', { class: 'hint' }, 'De casussen die de contractmanager bereikten: kopieën van toestemmingsformulieren voor beëindiging en escalaties. U ziet ze zoals de API ze u toont (voor de contractmanager geanonimiseerd), met hun termijnen, waaronder de uiterste datum voor de terugkoppeling.'),
    list);
  const cursor = ctx.query.get('cursor');
  const rows = new Map(); // case id -> {c, items}
  let next = null;
  try {
    const page = await get('/v1/cases' + query({ limit: PAGE, cursor }));
    next = page.next_cursor;
    for (const c of page.cases || []) if (c.notified && c.notified[ROLE]) rows.set(c.id, { c, items: [] });
    if (!cursor) {
      for (const kind of ['task', 'notification']) {
        let ic = null;
        for (let i = 0; i < INBOX_PAGES_MAX; i++) {
          const r = await get('/v1/inbox' + query({ kind, limit: INBOX_PAGE, cursor: ic }));
          for (const it of r.items || []) {
            if (it.role !== ROLE || !it.case_id) continue;
            if (!rows.has(it.case_id)) rows.set(it.case_id, { c: null, items: [] });
            rows.get(it.case_id).items.push(it);
          }
          ic = r.next_cursor;
          if (!ic) break;
        }
      }
    }
  } catch (err) {
    if (ctx.current()) list.append(errorBox(err));
    return;
  }
  if (!ctx.current()) return;
  await Promise.all([...rows.entries()].filter(([, r]) => !r.c).map(async ([id, r]) => {
    r.c = await get('/v1/cases/' + encodeURIComponent(id)).catch(() => null);
  }));
  if (!ctx.current()) return;
  const sorted = [...rows.entries()].map(([id, r]) => ({ id, ...r }));
  sorted.sort((a, b) => (first(a.c)?.due || '9999').localeCompare(first(b.c)?.due || '9999'));
  if (sorted.length === 0) {
    list.append(h('p', { class: 'leeg' }, 'Er zijn geen casussen die de contractmanager bereikten.'));
  } else {
    list.append(h('table', { class: 'tabel' },
      h('caption', null, sorted.length === 1 ? '1 casus' : `${sorted.length} casussen`),
      h('thead', null, h('tr', null, ['Casus', 'Jeugdige', 'Status', 'Gemeente', 'Aanbieder', 'Waarom hier', 'Termijnen']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, sorted.map(({ id, items, c }) => {
        const f = (c && c.fields) || {};
        const ds = ((c && c.deadlines) || []).slice().sort((a, b) => a.due.localeCompare(b.due));
        const reached = c && c.notified && c.notified[ROLE];
        return h('tr', { 'data-case': id, class: ds.some((d) => isOverdue(d.due)) ? 'verlopen' : null },
          h('td', null, caseLink(id)),
          h('td', null, c ? jeugdige(c) : '—', c && c.anoniem ? h('span', { class: 'badge' }, 'geanonimiseerd') : null),
          h('td', null, c ? statusBadge(c.status) : '—'),
          h('td', null, f.gemeente || '—'), h('td', null, f.aanbieder || '—'),
          h('td', null, h('ul', { class: 'waarden' },
            reached ? h('li', null, `Bereikt op ${formatTime(reached)}`) : null,
            items.map((it) => h('li', null, it.title || it.kind, h('span', { class: 'klein' }, ` (${it.rule || ''}, ${formatTime(it.created)})`))))),
          h('td', null, ds.length === 0 ? 'Geen open termijn' : h('ul', { class: 'waarden' }, ds.map((d) =>
            h('li', { class: 'cm-termijn', 'data-kind': d.kind }, `${label(d.kind)}: ${formatDate(d.due)} `,
              isOverdue(d.due) ? h('strong', { class: 'te-laat' }, `(${daysLeftText(d.due)})`) : `(${daysLeftText(d.due)})`)))));
      }))));
  }
  const nav = h('nav', { class: 'paginering', 'aria-label': 'Pagina’s' });
  if (cursor) nav.append(h('a', { href: '/ui/contractmanager' }, 'Eerste pagina'));
  if (next) nav.append(h('a', { href: '/ui/contractmanager' + query({ cursor: next }), rel: 'next' }, 'Volgende pagina'));
  if (nav.children.length) list.append(nav);
}

function first(c) {
  const ds = ((c && c.deadlines) || []).slice().sort((a, b) => a.due.localeCompare(b.due));
  return ds[0];
}
