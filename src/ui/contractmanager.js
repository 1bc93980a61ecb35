// contractmanager.js -- the contract manager's queue: the cases that reached
// the contractmanager role (termination forms copied to it, escalations),
// found through the caller's inbox items addressed to that role, each shown
// in the anonymised view the API gives that role (R-PRIV-1), with its
// deadlines: the feedback date (terugkoppeling) among them.

import { get, query } from './api.js';
import { h, caseLink, formatDate, formatTime, daysLeftText, isOverdue, jeugdige, statusBadge, label, errorBox } from './dom.js';

const ROLE = 'contractmanager';
const PAGE = 100;
const PAGES_MAX = 5; // at most 500 inbox items are looked at

export async function contractmanagerPage(ctx) {
  ctx.setTitle('Contractmanager');
  const list = h('div', { id: 'cm-wachtrij' });
  ctx.main.append(h('h1', null, 'Contractmanager'),
    h('p', { class: 'hint' }, 'De casussen die de contractmanager bereikten: kopieën van toestemmingsformulieren voor beëindiging en escalaties. U ziet ze geanonimiseerd, met hun termijnen, waaronder de uiterste datum voor de terugkoppeling.'),
    list);
  const byCase = new Map();
  try {
    for (const kind of ['task', 'notification']) {
      let cursor = null;
      for (let i = 0; i < PAGES_MAX; i++) {
        const r = await get('/v1/inbox' + query({ kind, limit: PAGE, cursor }));
        for (const it of r.items || []) {
          if (it.role !== ROLE || !it.case_id) continue;
          if (!byCase.has(it.case_id)) byCase.set(it.case_id, []);
          byCase.get(it.case_id).push(it);
        }
        cursor = r.next_cursor;
        if (!cursor) break;
      }
    }
  } catch (err) {
    if (ctx.current()) list.append(errorBox(err));
    return;
  }
  if (!ctx.current()) return;
  if (byCase.size === 0) {
    list.append(h('p', { class: 'leeg' }, 'Er zijn geen casussen voor de contractmanager. Deze lijst is gevuld voor wie als contractmanager is ingelogd.'));
    return;
  }
  const cases = await Promise.all([...byCase.keys()].map((id) => get('/v1/cases/' + encodeURIComponent(id)).catch(() => null)));
  if (!ctx.current()) return;
  const rows = [...byCase.entries()].map(([id, items], i) => ({ id, items, c: cases[i] }));
  rows.sort((a, b) => (next(a.c)?.due || '9999').localeCompare(next(b.c)?.due || '9999'));
  list.append(h('table', { class: 'tabel' },
    h('caption', null, rows.length === 1 ? '1 casus' : `${rows.length} casussen`),
    h('thead', null, h('tr', null, ['Casus', 'Jeugdige', 'Status', 'Gemeente', 'Aanbieder', 'Waarom hier', 'Termijnen'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map(({ id, items, c }) => {
      const f = (c && c.fields) || {};
      const ds = ((c && c.deadlines) || []).slice().sort((a, b) => a.due.localeCompare(b.due));
      return h('tr', { 'data-case': id, class: ds.some((d) => isOverdue(d.due)) ? 'verlopen' : null },
        h('td', null, caseLink(id)),
        h('td', null, c ? jeugdige(c) : '—', c && c.anoniem ? h('span', { class: 'badge' }, 'geanonimiseerd') : null),
        h('td', null, c ? statusBadge(c.status) : '—'),
        h('td', null, f.gemeente || '—'), h('td', null, f.aanbieder || '—'),
        h('td', null, h('ul', { class: 'waarden' }, items.map((it) =>
          h('li', null, it.title || it.kind, h('span', { class: 'klein' }, ` (${it.rule || ''}, ${formatTime(it.created)})`))))),
        h('td', null, ds.length === 0 ? 'Geen open termijn' : h('ul', { class: 'waarden' }, ds.map((d) =>
          h('li', { class: 'cm-termijn', 'data-kind': d.kind }, `${label(d.kind)}: ${formatDate(d.due)} `,
            isOverdue(d.due) ? h('strong', { class: 'te-laat' }, `(${daysLeftText(d.due)})`) : `(${daysLeftText(d.due)})`)))));
    }))));
}

function next(c) {
  const ds = ((c && c.deadlines) || []).slice().sort((a, b) => a.due.localeCompare(b.due));
  return ds[0];
}
