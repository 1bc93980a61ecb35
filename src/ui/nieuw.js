// nieuw.js -- a new case (POST /v1/cases): a form generated from the chart's
// `create` declarations (route A/C: the procesregisseur's aanmelding; route
// B: the aanbieder's verzoek om toewijzing).  The server picks the
// declaration by the caller's role and the region (and chart) by the
// gemeente; the user picks the chart whose form to fill.

import { api, get, chart, idempotencyKey, who } from './api.js';
import { h, clear, label, errorBox } from './dom.js';
import { schemaForm } from './schemaform.js';
import { showFailure, flashNext } from './casus.js';

export async function nieuwPage(ctx) {
  ctx.setTitle('Nieuwe casus');
  const list = await get('/v1/statecharts');
  if (!ctx.current()) return;
  // Only the charts new cases get in the caller's regions (GET /v1/me's creates).
  const mine = (who() || {}).creates;
  const charts = (list.statecharts || []).filter((c) => !Array.isArray(mine) || mine.includes(c.id));
  const chartSelect = h('select', { id: 'n-chart' }, charts.map((c) => h('option', { value: c.ref }, `${c.title} (${c.ref})`)));
  const kindSelect = h('select', { id: 'n-soort' });
  const slot = h('div', { id: 'nieuw-formulier' });
  ctx.main.append(h('h1', null, 'Nieuwe casus'),
    h('p', { class: 'hint' }, 'Een procesregisseur meldt een jeugdige aan (route A of C); een aanbieder dient een verzoek om toewijzing in (route B). De gemeente bepaalt de regio en het procesmodel van de casus.'),
    h('div', { class: 'filters' },
      h('div', { class: 'veld' }, h('label', { for: 'n-chart' }, 'Procesmodel'), chartSelect),
      h('div', { class: 'veld' }, h('label', { for: 'n-soort' }, 'Soort aanmelding'), kindSelect)),
    slot);

  let doc = null;
  const drawForm = () => {
    const entry = ((doc && doc.create) || []).find((e) => e.event === kindSelect.value);
    clear(slot);
    if (!entry) return;
    const sf = schemaForm(entry.data || {});
    const status = h('div', { class: 'formulier-status' });
    const key = idempotencyKey();
    const submit = h('button', { type: 'submit', class: 'knop' }, 'Casus aanmaken');
    const form = h('form', { class: 'gebeurtenis', novalidate: true, 'aria-labelledby': 'kop-nieuw', 'data-event': entry.event },
      h('h2', { id: 'kop-nieuw' }, label(entry.event)),
      entry.description ? h('p', { class: 'hint' }, entry.description) : null,
      h('p', { class: 'hint' }, `Voor: ${(entry.roles || []).map(label).join(', ')}${entry.rule ? ` · regel ${entry.rule}` : ''}`),
      sf.nodes, status, h('div', { class: 'knoppen' }, submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      sf.clearErrors();
      clear(status);
      submit.disabled = true;
      try {
        const c = await api('POST', '/v1/cases', sf.collect(), { 'Idempotency-Key': key });
        flashNext(`De casus is aangemaakt (status ${label(c.status)}).`);
        ctx.navigate('/ui/casus/' + encodeURIComponent(c.id));
      } catch (err) {
        submit.disabled = false;
        if (ctx.current()) showFailure(err, entry, sf, status, () => ctx.navigate(location.pathname, true));
      }
    });
    slot.append(form);
  };
  const loadChart = async () => {
    try {
      doc = await chart(chartSelect.value);
    } catch (err) {
      clear(slot).append(errorBox(err));
      return;
    }
    if (!ctx.current()) return;
    clear(kindSelect).append(...(doc.create || []).map((e) =>
      h('option', { value: e.event }, `${label(e.event)} (${(e.roles || []).map(label).join(', ')})`)));
    drawForm();
  };
  chartSelect.addEventListener('change', loadChart);
  kindSelect.addEventListener('change', drawForm);
  if (charts.length) await loadChart();
}
