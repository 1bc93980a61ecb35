// casus.js -- one case: its status, deadlines with the days left, the chart
// diagram with the active states highlighted, its fields, the events the
// caller may fire (each a form generated from the event's data schema in
// the chart) and its history as a paged timeline.

import { api, get, chart, idempotencyKey } from './api.js';
import {
  h, append, clear, label, statusBadge, formatDate, formatTime, daysLeftText, isOverdue, valueView, jeugdige, errorBox,
  dutchMessage, announce,
} from './dom.js';
import { schemaForm } from './schemaform.js';

const HISTORY_PAGE = 20;
let flash = null; // a message for the next drawing of the page (after an event)

export async function casusPage(ctx) {
  const id = decodeURIComponent(ctx.match[1]);
  ctx.setTitle(`Casus ${id}`);
  let c;
  try {
    c = await get('/v1/cases/' + encodeURIComponent(id));
  } catch (err) {
    if (!ctx.current()) return;
    ctx.main.append(h('h1', null, `Casus ${id}`), err.status === 404
      ? h('p', { class: 'melding fout', role: 'alert' }, 'Deze casus bestaat niet of u mag hem niet zien.')
      : errorBox(err));
    return;
  }
  if (!ctx.current()) return;
  const chartDoc = await chart(c.chart).catch(() => null);
  if (!ctx.current()) return;
  const idx = chartDoc ? indexChart(chartDoc) : null;
  const reload = () => ctx.navigate(location.pathname, true);

  const notice = flash ? h('p', { class: 'melding ok', role: 'status', tabindex: '-1', 'data-autofocus': true }, flash) : null;
  flash = null;
  append(ctx.main, [
    h('h1', null, `Casus ${c.id}`),
    notice,
    summary(c),
    actions(c, idx, ctx, reload),
    deadlines(c),
    diagram(c, idx),
    fieldsSection(c),
    history(c, ctx),
  ]);
}

function summary(c) {
  return h('section', { 'aria-labelledby': 'kop-overzicht', class: 'overzicht' },
    h('h2', { id: 'kop-overzicht', class: 'onzichtbaar' }, 'Overzicht'),
    h('dl', { class: 'kerngegevens' },
      h('dt', null, 'Status'), h('dd', { id: 'casus-status' }, statusBadge(c.status), c.closed ? ' (afgesloten)' : null),
      h('dt', null, 'Jeugdige'), h('dd', null, jeugdige(c), c.anoniem ? h('span', { class: 'badge' }, 'geanonimiseerd') : null),
      h('dt', null, 'Actieve toestanden'), h('dd', { id: 'casus-toestanden' }, (c.state || []).map(label).join(', ')),
      h('dt', null, 'Procesmodel'), h('dd', null, c.chart),
      h('dt', null, 'Versie'), h('dd', { id: 'casus-versie' }, String(c.version)),
      h('dt', null, 'Bijgewerkt'), h('dd', null, formatTime(c.updated)),
      // R-RET-1: a closed case's file is destroyed after this date (docs/security.md, Retention)
      c.archiefactiedatum ? [h('dt', null, 'Archiefactiedatum'),
        h('dd', { id: 'casus-archiefactiedatum' }, formatDate(c.archiefactiedatum), ' (vernietigen na de bewaartermijn)')] : null,
      (c.flags || []).length ? [h('dt', null, 'Kenmerken'), h('dd', null, c.flags.map((f) => h('span', { class: 'badge' }, label(f))))] : null,
    ));
}

function deadlines(c) {
  const ds = (c.deadlines || []).slice().sort((a, b) => (a.due || '').localeCompare(b.due || ''));
  return h('section', { 'aria-labelledby': 'kop-termijnen' }, h('h2', { id: 'kop-termijnen' }, 'Termijnen'),
    ds.length === 0 ? h('p', { class: 'leeg' }, 'Geen open termijnen.') :
      h('table', { class: 'tabel', id: 'termijnen' },
        h('thead', null, h('tr', null, ['Termijn', 'Laatste dag', 'Dagen', 'Regel'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, ds.map((d) => h('tr', { class: isOverdue(d.due) ? 'verlopen' : null },
          h('td', null, label(d.kind)), h('td', null, formatDate(d.due)),
          h('td', null, isOverdue(d.due) ? h('strong', { class: 'te-laat' }, daysLeftText(d.due)) : daysLeftText(d.due)),
          h('td', null, d.rule || '—'))))));
}

function fieldsSection(c) {
  return h('section', { 'aria-labelledby': 'kop-gegevens' }, h('h2', { id: 'kop-gegevens' }, 'Gegevens'),
    c.anoniem ? h('p', { class: 'hint' }, 'U ziet de geanonimiseerde weergave: de jeugdige staat er als pseudoniem en leeftijdscategorie in.') : null,
    c.vrije_tekst_achtergehouden ? h('p', { class: 'hint', id: 'vrije-tekst' }, 'Vrije tekst is voor u achtergehouden (R-PRIV-1): u ziet alleen de gegevens die het procesmodel voor uw rol vrijgeeft, ook in de geschiedenis.') : null,
    h('div', { id: 'gegevens' }, valueView(c.fields || {})),
    c.counters && Object.keys(c.counters).length ? [h('h3', null, 'Tellers'), valueView(c.counters)] : null);
}

// --- the chart ---------------------------------------------------------------------------

function indexChart(doc) {
  const parent = new Map();
  const trans = new Map();
  const walk = (name, s, par) => {
    parent.set(name, par);
    trans.set(name, s.transitions || []);
    for (const [k, v] of Object.entries(s.states || {})) walk(k, v, name);
  };
  if (doc.root) walk('root', doc.root, null);
  return { parent, trans };
}

// The transition the event takes now: the first on an active state or one of its ancestors.
function transitionFor(idx, state, event) {
  if (!idx) return null;
  for (const leaf of state || []) {
    for (let s = leaf; s; s = idx.parent.get(s)) {
      const t = (idx.trans.get(s) || []).find((x) => x.event === event);
      if (t) return t;
    }
  }
  for (const ts of idx.trans.values()) {
    const t = ts.find((x) => x.event === event);
    if (t) return t;
  }
  return null;
}

function ancestors(idx, state) {
  const out = new Set();
  if (!idx) return out;
  for (const leaf of state || []) for (let s = idx.parent.get(leaf); s; s = idx.parent.get(s)) out.add(s);
  return out;
}

function diagram(c, idx) {
  const chartId = String(c.chart).split('@')[0];
  const box = h('div', { class: 'diagram', id: 'diagram', tabindex: '0', role: 'region', 'aria-label': 'Procesdiagram (scrollbaar)' },
    h('p', null, 'Diagram laden…'));
  const zoom = { scale: 0.6 };
  const controls = h('div', { class: 'knoppen' });
  const section = h('section', { 'aria-labelledby': 'kop-diagram' }, h('h2', { id: 'kop-diagram' }, 'Procesdiagram'),
    h('p', { class: 'hint' }, 'De actieve toestanden zijn gemarkeerd: ', h('strong', null, (c.state || []).map(label).join(', ')), '.'),
    controls, box);
  fetch(`/ui/charts/${encodeURIComponent(chartId)}.svg`, { cache: 'no-cache' })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error('geen diagram'))))
    .then((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = document.importNode(doc.documentElement, true);
      if (svg.nodeName.toLowerCase() !== 'svg') throw new Error('geen diagram');
      const vb = (svg.getAttribute('viewBox') || '0 0 800 600').split(/\s+/).map(Number);
      svg.removeAttribute('width');
      svg.removeAttribute('height');
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', `Procesdiagram van ${c.chart}; actief: ${(c.state || []).map(label).join(', ')}`);
      const active = new Set(c.state || []);
      const parents = ancestors(idx, c.state);
      for (const g of svg.querySelectorAll('g.node')) {
        const t = g.querySelector('title');
        if (t && active.has(t.textContent)) g.classList.add('actief');
      }
      for (const g of svg.querySelectorAll('g.cluster')) {
        const t = g.querySelector('title');
        if (t && parents.has(t.textContent.replace(/^cluster_/, ''))) g.classList.add('actief-ouder');
      }
      const size = () => {
        svg.setAttribute('width', String(Math.round(vb[2] * zoom.scale)));
        svg.setAttribute('height', String(Math.round(vb[3] * zoom.scale)));
      };
      size();
      clear(box).append(svg);
      const step = (f) => () => {
        zoom.scale = Math.min(2, Math.max(0.2, zoom.scale * f));
        size();
        scrollToActive(box, svg);
      };
      controls.append(
        h('button', { type: 'button', class: 'knop-licht klein', onclick: step(1 / 1.25) }, 'Kleiner'),
        h('button', { type: 'button', class: 'knop-licht klein', onclick: step(1.25) }, 'Groter'));
      requestAnimationFrame(() => scrollToActive(box, svg));
    })
    .catch(() => {
      clear(box).append(h('p', null, 'Voor dit procesmodel is geen diagram beschikbaar.'));
    });
  return section;
}

function scrollToActive(box, svg) {
  const node = svg.querySelector('g.node.actief');
  if (!node) return;
  const n = node.getBoundingClientRect();
  const b = box.getBoundingClientRect();
  box.scrollLeft += n.left - b.left - b.width / 2 + n.width / 2;
  box.scrollTop += n.top - b.top - b.height / 2 + n.height / 2;
}

// --- events ------------------------------------------------------------------------------

function actions(c, idx, ctx, reload) {
  const events = c.allowed_events || [];
  const formSlot = h('div', { id: 'actieformulier' });
  const buttons = events.map((ev) => {
    const b = h('button', { type: 'button', class: 'knop', 'data-event': ev, 'aria-expanded': 'false', 'aria-controls': 'actieformulier' }, label(ev));
    b.addEventListener('click', () => {
      for (const other of buttonsEl.querySelectorAll('button')) other.setAttribute('aria-expanded', 'false');
      b.setAttribute('aria-expanded', 'true');
      openForm(c, idx, ev, formSlot, b, ctx, reload);
    });
    return b;
  });
  const buttonsEl = h('div', { class: 'knoppen acties' }, buttons);
  return h('section', { 'aria-labelledby': 'kop-acties' }, h('h2', { id: 'kop-acties' }, 'Acties'),
    events.length === 0 ? h('p', { class: 'leeg' }, 'U kunt op deze casus nu geen actie uitvoeren.')
      : [h('p', { class: 'hint' }, 'De acties die u nu mag uitvoeren. Het procesmodel controleert bij het versturen of aan de regels is voldaan.'), buttonsEl],
    formSlot);
}

function openForm(c, idx, event, slot, opener, ctx, reload) {
  const t = transitionFor(idx, c.state, event);
  const sf = schemaForm((t && t.data) || {});
  const headId = 'kop-formulier';
  const status = h('div', { class: 'formulier-status' });
  const key = idempotencyKey();
  const submit = h('button', { type: 'submit', class: 'knop' }, 'Versturen');
  const cancel = h('button', { type: 'button', class: 'knop-licht' }, 'Annuleren');
  const form = h('form', { class: 'gebeurtenis', novalidate: true, 'aria-labelledby': headId, 'data-event': event },
    h('h3', { id: headId, tabindex: '-1' }, label(event)),
    t && t.description ? h('p', { class: 'hint' }, t.description) : null,
    t && t.rule ? h('p', { class: 'hint' }, `Regel ${t.rule}`) : null,
    sf.nodes.length ? sf.nodes : h('p', null, 'Deze actie heeft geen gegevens nodig.'),
    status,
    h('div', { class: 'knoppen' }, submit, cancel));
  cancel.addEventListener('click', () => {
    clear(slot);
    opener.setAttribute('aria-expanded', 'false');
    opener.focus();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    sf.clearErrors();
    clear(status);
    const body = { event, expected_version: c.version };
    const data = sf.collect();
    if (Object.keys(data).length || (t && t.data && Object.keys(t.data).length)) body.data = data;
    submit.disabled = true;
    try {
      const nc = await api('POST', `/v1/cases/${encodeURIComponent(c.id)}/events`, body, { 'Idempotency-Key': key });
      flash = `„${label(event)}” is vastgelegd. De casus staat nu op versie ${nc.version}.`;
      reload();
    } catch (err) {
      submit.disabled = false;
      if (!ctx.current()) return;
      showFailure(err, t, sf, status, reload);
    }
  });
  clear(slot).append(form);
  form.querySelector('h3').focus();
}

// The page says text when it next draws a case (after an event, after creating a case).
export function flashNext(text) {
  flash = text;
}

// Shows a refused write in the form: a 409 with a reload, a 422 at its field, anything else as it came.
export function showFailure(err, t, sf, status, reload) {
  if (err.status === 409) {
    const again = h('button', { type: 'button', class: 'knop', onclick: reload }, 'Casus opnieuw laden');
    const text = err.code === 'version_mismatch'
      ? 'Iemand anders heeft deze casus intussen gewijzigd. Uw actie is niet uitgevoerd. Laad de casus opnieuw en bekijk de wijziging voordat u verdergaat.'
      : 'Deze actie kan in de huidige stand van de casus niet (meer); mogelijk heeft iemand anders de casus intussen gewijzigd. Laad de casus opnieuw.';
    status.append(h('div', { class: 'melding fout conflict', role: 'alert' }, h('p', null, text), h('p', { class: 'klein' }, err.message), again));
    again.focus();
    return;
  }
  if (err.status === 422) {
    const path = fieldOf(err, t);
    const text = `${err.rule ? `Regel ${err.rule}: ` : ''}${dutchMessage(err)}`;
    const f = path ? sf.showError(path, text) : null;
    status.append(h('div', { class: 'melding fout', role: 'alert' },
      h('p', null, 'Niet vastgelegd. ', f ? 'Zie de melding bij het veld. ' : null, text)));
    const target = f && (f.focusable || f.wrap.querySelector('input, select, textarea, button'));
    if (target) target.focus();
    announce(text);
    return;
  }
  status.append(errorBox(err));
}

// The field a 422 names: the schema check's "field" of the error body; for a failed guard it is the
// data path of the chart's guard with that message.
function fieldOf(err, t) {
  if (err.field) return err.field;
  for (const g of (t && t.guards) || []) {
    if (g.message !== err.message || (err.rule && g.rule && g.rule !== err.rule)) continue;
    const p = dataPath(g.check);
    if (p) return p;
  }
  return null;
}

function dataPath(check) {
  if (!check || typeof check !== 'object') return null;
  if (typeof check.path === 'string' && check.path.startsWith('data.')) return check.path.slice(5);
  for (const v of Object.values(check)) {
    const list = Array.isArray(v) ? v : [v];
    for (const x of list) {
      const p = dataPath(x);
      if (p) return p;
    }
  }
  return null;
}

// --- history -----------------------------------------------------------------------------

function history(c, ctx) {
  const list = h('ol', { class: 'tijdlijn', id: 'geschiedenis' });
  const more = h('div', { class: 'meer' });
  const section = h('section', { 'aria-labelledby': 'kop-geschiedenis' }, h('h2', { id: 'kop-geschiedenis' }, 'Geschiedenis'), list, more);
  const load = async (after) => {
    let r;
    try {
      r = await get(`/v1/cases/${encodeURIComponent(c.id)}/history?limit=${HISTORY_PAGE}${after ? `&after=${after}` : ''}`);
    } catch (err) {
      if (ctx.current()) clear(more).append(errorBox(err));
      return;
    }
    if (!ctx.current()) return;
    const first = list.children.length;
    for (const e of r.entries || []) list.append(entry(e));
    clear(more);
    if (r.next !== null && r.next !== undefined) {
      const b = h('button', { type: 'button', class: 'knop-licht' }, 'Meer geschiedenis');
      b.addEventListener('click', async () => {
        b.disabled = true;
        await load(r.next);
        const firstNew = list.children[first + (r.entries || []).length];
        if (firstNew) firstNew.focus();
      });
      more.append(b);
    }
  };
  load(null);
  return section;
}

// Only the states that changed: "Beëindiging gesprekken → Beëindiging eerste waarschuwing".
function stateChange(from, to) {
  const left = from.filter((x) => !to.includes(x));
  const entered = to.filter((x) => !from.includes(x));
  if (from.length === 0) return `Begint in: ${to.map(label).join(', ')}`;
  if (left.length === 0 && entered.length === 0) return 'Toestand ongewijzigd';
  return `${left.map(label).join(', ') || '—'} → ${entered.map(label).join(', ') || '—'}`;
}

function entry(e) {
  const hasData = e.data && typeof e.data === 'object' && Object.keys(e.data).length > 0;
  return h('li', { class: 'stap' + (e.failed ? ' mislukt' : ''), tabindex: '-1', 'data-seq': e.seq },
    h('p', { class: 'stap-kop' },
      h('time', { datetime: e.time }, formatTime(e.time)), ' · ',
      h('strong', null, label(e.event)), e.failed ? h('span', { class: 'badge fout' }, 'mislukt') : null),
    h('p', null, e.actor === 'system' ? 'Door het systeem (termijn)' : ['Door ', h('span', { class: 'actor' }, e.actor), ` (${label(e.role)})`],
      e.rule ? [' · regel ', h('span', { class: 'regel' }, e.rule)] : null, ` · versie ${e.version}`),
    h('p', { class: 'klein' }, stateChange(e.from || [], e.to || [])),
    hasData ? h('div', { class: 'stap-data' }, valueView(e.data)) : null);
}
