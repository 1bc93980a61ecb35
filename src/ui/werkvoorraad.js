// werkvoorraad.js -- the landing page: the caller's open tasks first (each
// with its case and that case's next deadline, overdue ones marked), then
// its unread notifications, which can be marked read.  New items arrive
// live from the stream (app.js) and are put on top.

import { api, get, query } from './api.js';
import { h, append, clear, caseLink, firstDeadline, formatDate, formatTime, daysLeftText, isOverdue, announce, errorBox } from './dom.js';

const PAGE = 50;

export async function werkvoorraadPage(ctx) {
  ctx.setTitle('Werkvoorraad');
  const taskList = h('ul', { class: 'items', id: 'taken' });
  const noteList = h('ul', { class: 'items', id: 'meldingen' });
  const taskMore = h('div', { class: 'meer' });
  const noteMore = h('div', { class: 'meer' });
  const taskEmpty = h('p', { class: 'leeg', hidden: true }, 'Geen open taken.');
  const noteEmpty = h('p', { class: 'leeg', hidden: true }, 'Geen ongelezen meldingen.');
  const taskCount = h('span', { class: 'aantal' });
  const noteCount = h('span', { class: 'aantal' });
  ctx.main.append(
    h('h1', null, 'Werkvoorraad'),
    h('section', { 'aria-labelledby': 'kop-taken' }, h('h2', { id: 'kop-taken' }, 'Open taken ', taskCount), taskEmpty, taskList, taskMore),
    h('section', { 'aria-labelledby': 'kop-meldingen' }, h('h2', { id: 'kop-meldingen' }, 'Meldingen ', noteCount), noteEmpty, noteList, noteMore),
  );
  const seen = new Set();
  const cases = new Map(); // case id -> Promise of the case (for its deadlines)

  function counts() {
    const t = taskList.children.length;
    const n = noteList.children.length;
    taskCount.textContent = `(${t})`;
    noteCount.textContent = `(${n})`;
    taskEmpty.hidden = t > 0;
    noteEmpty.hidden = n > 0;
  }

  // A task is overdue when its case's next deadline has passed, or when the task is itself the mark
  // of a missed deadline: the chart's timer event then sets a flag of the task's kind
  // (start_zorg_termijn_verlopen, evaluatie_te_laat, ...), and the deadline is gone from the case.
  function deadlineOf(it, slot, li) {
    const caseId = it.case_id;
    if (!cases.has(caseId)) cases.set(caseId, get('/v1/cases/' + encodeURIComponent(caseId)).catch(() => null));
    cases.get(caseId).then((c) => {
      if (!ctx.current() || !c) {
        if (ctx.current()) slot.textContent = '';
        return;
      }
      const missed = (c.flags || []).includes(it.kind);
      const d = firstDeadline(c);
      const late = missed || (d && isOverdue(d.due));
      append(clear(slot), [
        missed ? [h('strong', { class: 'te-laat' }, 'Te laat: '), 'de termijn is verstreken. '] : null,
        d ? [!missed && late ? h('strong', { class: 'te-laat' }, 'Te laat: ') : missed ? 'Volgende termijn: ' : 'Termijn: ',
          `${formatDate(d.due)} (${daysLeftText(d.due)}) `, h('span', { class: 'klein' }, `${d.kind}${d.rule ? ', ' + d.rule : ''}`)]
          : missed ? null : 'Geen open termijn']);
      if (late) {
        li.classList.add('verlopen');
        li.dataset.teLaat = 'true';
      }
    });
  }

  function taskItem(it, fresh) {
    const slot = h('p', { class: 'termijn' }, 'Termijn laden…');
    const li = h('li', { class: 'item taak' + (fresh ? ' nieuw' : ''), 'data-seq': it.seq, 'data-case': it.case_id },
      h('p', { class: 'titel' }, fresh ? h('span', { class: 'label-nieuw' }, 'Nieuw ') : null, it.title || it.kind),
      h('p', null, 'Casus ', caseLink(it.case_id), h('span', { class: 'klein' }, ` · ${it.kind} · ${it.rule || ''} · sinds ${formatTime(it.created)}`)),
      slot);
    if (it.case_id) deadlineOf(it, slot, li);
    else slot.textContent = '';
    return li;
  }

  function noteItem(it, fresh) {
    const button = h('button', { type: 'button', class: 'knop-licht klein', 'aria-label': `Melding „${it.title || it.kind}” als gelezen markeren` }, 'Gelezen');
    const li = h('li', { class: 'item melding-item' + (fresh ? ' nieuw' : ''), 'data-seq': it.seq, 'data-case': it.case_id },
      h('p', { class: 'titel' }, fresh ? h('span', { class: 'label-nieuw' }, 'Nieuw ') : null, it.title || it.kind),
      h('p', null, it.case_id ? ['Casus ', caseLink(it.case_id)] : null, h('span', { class: 'klein' }, ` · ${it.kind} · ${it.rule || ''} · ${formatTime(it.created)}`)),
      button);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await api('POST', `/v1/inbox/${it.seq}/read`);
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        counts();
        announce('Melding gelezen.');
        (next?.querySelector('button') || document.getElementById('kop-meldingen')).focus?.();
      } catch (err) {
        button.disabled = false;
        li.append(errorBox(err));
      }
    });
    return li;
  }

  function add(it, fresh) {
    if (seen.has(it.seq)) return;
    seen.add(it.seq);
    if (it.type === 'task') {
      if (it.open === false) return;
      const li = taskItem(it, fresh);
      if (fresh) taskList.prepend(li);
      else taskList.append(li);
    } else {
      if (it.open === false) return;
      const li = noteItem(it, fresh);
      if (fresh) noteList.prepend(li);
      else noteList.append(li);
    }
  }

  async function page(kind, cursor, more) {
    const r = await get('/v1/inbox' + query({ kind, limit: PAGE, cursor }));
    if (!ctx.current()) return;
    for (const it of r.items || []) add(it, false);
    counts();
    clear(more);
    if (r.next_cursor) {
      const b = h('button', { type: 'button', class: 'knop-licht' }, kind === 'task' ? 'Meer taken' : 'Meer meldingen');
      b.addEventListener('click', () => page(kind, r.next_cursor, more));
      more.append(b);
    }
  }

  ctx.onItem((it) => {
    add(it, true);
    counts();
  });
  await Promise.all([page('task', null, taskMore), page('notification', null, noteMore)]);
}
