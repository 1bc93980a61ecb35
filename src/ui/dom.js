// dom.js -- building the page without innerHTML (every text from the API
// lands in a text node), and the Dutch formats of dates, names and days.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let idCounter = 0;
export function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// The region's wall clock is Europe/Amsterdam (R-TIME-1): dates are shown there.
const TZ = 'Europe/Amsterdam';
const dateFmt = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const timeFmt = new Intl.DateTimeFormat('nl-NL', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TZ,
});
const isoDay = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: TZ });

// "2027-06-07" -> "7 juni 2027".
export function formatDate(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  if (!m) return day || '';
  return dateFmt.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
}

// An RFC 3339 instant -> "7 jun 2027 10:00" in Europe/Amsterdam.
export function formatTime(t) {
  const d = new Date(t);
  return isNaN(d) ? String(t || '') : timeFmt.format(d);
}

// Today in Europe/Amsterdam, as YYYY-MM-DD.
// The service's clock less the browser's (GET /v1/me's "now"): with --clock
// manual the two differ, and days left count from the service's day.
let clockOffsetMs = 0;
export function setServerNow(iso) {
  const t = Date.parse(iso || '');
  clockOffsetMs = Number.isNaN(t) ? 0 : t - Date.now();
}

export function today() {
  return isoDay.format(new Date(Date.now() + clockOffsetMs));
}

// Whole days from today to day (negative when day has passed).
export function daysFrom(day, from = today()) {
  const a = Date.parse(from + 'T00:00:00Z');
  const b = Date.parse(day + 'T00:00:00Z');
  return Math.round((b - a) / 86400000);
}

// A deadline's last day to act, in words: a deadline is met during its whole due day.
export function daysLeftText(due) {
  const n = daysFrom(due);
  if (n > 1) return `nog ${n} dagen`;
  if (n === 1) return 'nog 1 dag';
  if (n === 0) return 'vandaag de laatste dag';
  return n === -1 ? '1 dag te laat' : `${-n} dagen te laat`;
}

export function isOverdue(due) {
  return daysFrom(due) < 0;
}

// Machine names as words: "beeindiging_aankondigen" -> "Beëindiging aankondigen",
// "a_gedrag_door_aandoening" -> "a) gedrag door aandoening".
export function label(name) {
  let s = String(name).replace(/beeindig/g, 'beëindig').replace(/Beeindig/g, 'Beëindig');
  const letter = /^([a-z])_(.+)$/.exec(s);
  if (letter) return `${letter[1]}) ${letter[2].replace(/_/g, ' ')}`;
  s = s.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const STATUS = {
  aangemeld: 'Aangemeld',
  verzoek_om_toewijzing: 'Verzoek om toewijzing',
  toegewezen: 'Toegewezen',
  in_zorg: 'In zorg',
  opgeschort: 'Opgeschort',
  crisis: 'Crisis',
  beeindigd: 'Beëindigd',
  afgewezen: 'Afgewezen',
};
export const STATUSES = Object.keys(STATUS);
export function statusLabel(s) {
  return STATUS[s] || label(s);
}

export function statusBadge(s) {
  return h('span', { class: 'status status-' + s }, statusLabel(s));
}

// A value of a case or a history entry, readable: objects as definition lists, arrays as lists.
export function valueView(v) {
  if (v === null || v === undefined) return h('span', { class: 'leeg' }, '—');
  if (typeof v === 'boolean') return document.createTextNode(v ? 'ja' : 'nee');
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', { class: 'leeg' }, 'geen');
    return h('ul', { class: 'waarden' }, v.map((x) => h('li', null, valueView(x))));
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return h('span', { class: 'leeg' }, 'geen');
    return h('dl', { class: 'velden' }, keys.map((k) => [h('dt', null, label(k)), h('dd', null, valueView(v[k]))]));
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return document.createTextNode(formatDate(v));
  return document.createTextNode(String(v));
}

// The jeugdige as this viewer may see it: the name, or the pseudonym and age band (R-PRIV-1).
export function jeugdige(c) {
  const f = (c && c.fields) || {};
  if (f.jeugdige && f.jeugdige.naam) return f.jeugdige.naam;
  if (f.pseudoniem) return `${f.pseudoniem}${f.leeftijdscategorie ? ` (${f.leeftijdscategorie} jaar)` : ''}`;
  return '—';
}

// The earliest open deadline of a case, or null.
export function firstDeadline(c) {
  const ds = ((c && c.deadlines) || []).filter((d) => d.due).sort((a, b) => a.due.localeCompare(b.due));
  return ds[0] || null;
}

export function caseLink(id, text) {
  return h('a', { href: '/ui/casus/' + encodeURIComponent(id) }, text || id);
}

// Says something to screen readers (and to the tests) without moving focus.
export function announce(text) {
  const el = document.getElementById('aankondiging');
  if (!el) return;
  el.textContent = '';
  setTimeout(() => {
    el.textContent = text;
  }, 30);
}

export function errorBox(err, extra) {
  const rule = err && err.rule ? h('span', { class: 'regel' }, `Regel ${err.rule}: `) : null;
  return h('div', { class: 'melding fout', role: 'alert' }, h('p', null, rule, dutchMessage(err)), extra);
}

// The API's messages are English sentences; the common ones of the schema check in Dutch,
// the original behind it so that nothing is lost.
export function dutchMessage(err) {
  const m = (err && err.message) || String(err);
  const rules = [
    [/^field "([^"]+)" is required$/, (x) => `${label(last(x[1]))} is verplicht.`],
    [/^field "([^"]+)" must be one of/, (x) => `Kies bij ${label(last(x[1]))} een van de mogelijkheden.`],
    [/^field "([^"]+)" must have at least (\d+) items$/, (x) => `Geef bij ${label(last(x[1]))} er minstens ${x[2]}.`],
    [/^field "([^"]+)" must have between (\d+) and (\d+) items$/,
      (x) => `Geef bij ${label(last(x[1]))} er minstens ${x[2]} en hoogstens ${x[3]}.`],
    [/^field "([^"]+)" must have at most (\d+) items$/, (x) => `Geef bij ${label(last(x[1]))} er hoogstens ${x[2]}.`],
    [/^field "([^"]+)" must be between (\d+) and (\d+) characters long$/,
      (x) => `${label(last(x[1]))}: gebruik ${x[2]} tot ${x[3]} tekens.`],
    [/^field "([^"]+)" must be of type (date|datetime)/, (x) => `${label(last(x[1]))}: vul een geldige datum in.`],
    [/^field "([^"]+)" must be of type (\w+)/, (x) => `${label(last(x[1]))} heeft een verkeerd soort waarde.`],
    [/^unknown field "([^"]+)"$/, (x) => `Onbekend veld ${x[1]}.`],
  ];
  for (const [re, fn] of rules) {
    const x = re.exec(m);
    if (x) return `${fn(x)} (${m})`;
  }
  return m;
}

function last(path) {
  const parts = path.replace(/\[\d+\]/g, '').split('.');
  return parts[parts.length - 1];
}
