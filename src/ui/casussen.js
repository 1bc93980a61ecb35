// casussen.js -- the cases the caller may see, with the filters of
// GET /v1/cases, one page at a time (the cursor travels in the page's
// address, so every page has a link of its own).

import { get, query } from './api.js';
import { h, STATUSES, statusLabel, statusBadge, caseLink, firstDeadline, formatDate, daysLeftText, isOverdue, jeugdige, formatTime, errorBox } from './dom.js';

const FILTERS = ['status', 'aanbieder', 'casusregisseur', 'overdue', 'deadline_before'];
const PAGE = 25;

export async function casussenPage(ctx) {
  ctx.setTitle('Casussen');
  const q = ctx.query;
  const val = (k) => q.get(k) || '';
  const form = h('form', { class: 'filters', method: 'get', action: '/ui/casussen', role: 'search', 'aria-label': 'Casussen filteren' },
    h('div', { class: 'veld' }, h('label', { for: 'f-status' }, 'Status'),
      h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'Alle'),
        STATUSES.map((s) => h('option', { value: s, selected: val('status') === s }, statusLabel(s))))),
    h('div', { class: 'veld' }, h('label', { for: 'f-aanbieder' }, 'Aanbieder'),
      h('input', { id: 'f-aanbieder', name: 'aanbieder', type: 'text', value: val('aanbieder'), autocomplete: 'off' })),
    h('div', { class: 'veld' }, h('label', { for: 'f-casusregisseur' }, 'Casusregisseur'),
      h('input', { id: 'f-casusregisseur', name: 'casusregisseur', type: 'text', value: val('casusregisseur'), autocomplete: 'off' })),
    h('div', { class: 'veld' }, h('label', { for: 'f-deadline' }, 'Termijn vóór'),
      h('input', { id: 'f-deadline', name: 'deadline_before', type: 'date', value: val('deadline_before') })),
    h('div', { class: 'veld veld-vinkje' },
      h('input', { id: 'f-overdue', name: 'overdue', type: 'checkbox', value: 'true', checked: val('overdue') === 'true' }),
      h('label', { for: 'f-overdue' }, 'Alleen met verlopen termijn')),
    h('div', { class: 'knoppen' }, h('button', { type: 'submit', class: 'knop' }, 'Filteren'),
      h('a', { href: '/ui/casussen', class: 'knop-licht' }, 'Filters wissen')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params = {};
    for (const k of FILTERS) {
      const el = form.elements[k];
      if (el.type === 'checkbox') params[k] = el.checked ? 'true' : '';
      else params[k] = el.value.trim();
    }
    ctx.navigate('/ui/casussen' + query(params));
  });
  const result = h('div', { id: 'resultaat' });
  ctx.main.append(h('h1', null, 'Casussen'), form, result);

  const params = { limit: PAGE };
  for (const k of FILTERS) if (q.get(k)) params[k] = q.get(k);
  if (q.get('cursor')) params.cursor = q.get('cursor');
  let r;
  try {
    r = await get('/v1/cases' + query(params));
  } catch (err) {
    if (ctx.current()) result.append(errorBox(err));
    return;
  }
  if (!ctx.current()) return;
  const cases = r.cases || [];
  if (cases.length === 0) {
    result.append(h('p', { class: 'leeg', role: 'status' }, r.next_cursor
      ? 'Op deze pagina staan geen casussen; er zijn er mogelijk meer op de volgende.' : 'Geen casussen gevonden.'));
  } else {
    result.append(h('table', { class: 'tabel' },
      h('caption', null, `Casussen${params.cursor ? ' (vervolgpagina)' : ''}: ${cases.length} op deze pagina`),
      h('thead', null, h('tr', null, ['Casus', 'Jeugdige', 'Status', 'Gemeente', 'Aanbieder', 'Casusregisseur', 'Eerstvolgende termijn', 'Bijgewerkt']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, cases.map((c) => {
        const d = firstDeadline(c);
        const f = c.fields || {};
        return h('tr', { class: d && isOverdue(d.due) ? 'verlopen' : null },
          h('td', null, caseLink(c.id)), h('td', null, jeugdige(c)), h('td', null, statusBadge(c.status)),
          h('td', null, f.gemeente || '—'), h('td', null, f.aanbieder || '—'), h('td', null, f.casusregisseur || '—'),
          h('td', null, d ? [isOverdue(d.due) ? h('strong', { class: 'te-laat' }, 'Te laat: ') : null,
            `${formatDate(d.due)} (${daysLeftText(d.due)})`] : '—'),
          h('td', null, formatTime(c.updated)));
      }))));
  }
  const nav = h('nav', { class: 'paginering', 'aria-label': 'Pagina’s' });
  const keep = {};
  for (const k of FILTERS) if (q.get(k)) keep[k] = q.get(k);
  if (params.cursor) nav.append(h('a', { href: '/ui/casussen' + query(keep) }, 'Eerste pagina'));
  if (r.next_cursor) nav.append(h('a', { href: '/ui/casussen' + query({ ...keep, cursor: r.next_cursor }), rel: 'next' }, 'Volgende pagina'));
  if (nav.children.length) result.append(nav);
}
