// schemaform.js -- a form generated from an event's data schema in the chart
// (docs/statecharts.md: "data": {name: {type, required, enum, description,
// max_length, properties, items, min_items, max_items}}).
//
// Strings become text fields (long ones text areas), enums selects, dates
// date inputs, booleans checkboxes, numbers number inputs, objects
// fieldsets and arrays repeatable fields.  The form checks nothing itself
// (novalidate): the server is the one authority, and its 422 is shown at
// the field it names (showError).

import { h, label, uid } from './dom.js';

const LONG_TEXT_CHARS = 200;

export function schemaForm(schema) {
  const fields = new Map(); // dotted path -> {control, error, wrap}
  const root = objectControl(schema || {}, '', fields);
  return {
    nodes: root.nodes,
    // The event's data: empty fields left out.
    collect() {
      return root.value(true) || {};
    },
    clearErrors() {
      for (const f of fields.values()) setError(f, null);
    },
    // Shows text at the field of path ("bijlagen.gespreksverslagen", "x[1]"); false when no such field.
    showError(path, text) {
      let p = path.replace(/^data\./, '');
      while (p) {
        const f = fields.get(p) || fields.get(p.replace(/\[\d+\]/g, ''));
        if (f) {
          setError(f, text);
          return f;
        }
        const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        p = cut > 0 ? p.slice(0, cut) : '';
      }
      return null;
    },
    fields,
  };
}

function setError(f, text) {
  f.error.textContent = text || '';
  f.error.hidden = !text;
  if (f.focusable) {
    if (text) f.focusable.setAttribute('aria-invalid', 'true');
    else f.focusable.removeAttribute('aria-invalid');
  }
  f.wrap.classList.toggle('met-fout', !!text);
}

function objectControl(props, prefix, fields) {
  const children = Object.entries(props).map(([name, spec]) =>
    control(name, spec || {}, prefix ? `${prefix}.${name}` : name, fields));
  return {
    nodes: children.map((c) => c.node),
    value(required) {
      const out = {};
      let any = false;
      children.forEach((c) => {
        const v = c.value();
        if (v !== undefined) {
          out[c.name] = v;
          any = true;
        }
      });
      return any || required ? out : undefined;
    },
  };
}

function control(name, spec, path, fields) {
  const id = uid('veld');
  const errId = id + '-fout';
  const hintId = id + '-hint';
  const required = !!spec.required;
  const text = label(name) + (required ? ' (verplicht)' : '');
  const hint = spec.description ? h('p', { class: 'hint', id: hintId }, spec.description) : null;
  const error = h('p', { class: 'veldfout', id: errId, hidden: true });
  const describedBy = [hint ? hintId : null, errId].filter(Boolean).join(' ');
  const type = spec.type || 'string';

  if (type === 'object') {
    const inner = objectControl(spec.properties || {}, path, fields);
    const wrap = h('fieldset', { class: 'groep', 'aria-describedby': describedBy, 'data-pad': path },
      h('legend', null, text), hint, error, inner.nodes);
    fields.set(path, { wrap, error, focusable: null });
    return { name, node: wrap, value: () => inner.value(required) };
  }

  if (type === 'array') return arrayControl(name, spec, path, fields, { text, hint, error, describedBy, required });

  let input;
  let wrap;
  if (type === 'boolean') {
    input = h('input', { type: 'checkbox', id, name: path, 'aria-describedby': describedBy });
    wrap = h('div', { class: 'veld veld-vinkje', 'data-pad': path }, input, h('label', { for: id }, text), hint, error);
    fields.set(path, { wrap, error, focusable: input });
    return { name, node: wrap, value: () => (input.checked ? true : required ? false : undefined) };
  }
  input = scalarInput(spec, { id, name: path, required, 'aria-describedby': describedBy });
  wrap = h('div', { class: 'veld', 'data-pad': path }, h('label', { for: id }, text), hint, input, error);
  fields.set(path, { wrap, error, focusable: input });
  return { name, node: wrap, value: () => scalarValue(spec, input.value) };
}

function scalarInput(spec, attrs) {
  const type = spec.type || 'string';
  const a = { ...attrs, required: attrs.required || undefined, 'aria-required': attrs.required ? 'true' : undefined };
  if (Array.isArray(spec.enum)) {
    return h('select', a, h('option', { value: '' }, '— kies —'),
      spec.enum.map((v) => h('option', { value: v }, /^\d+$/.test(v) ? v : label(v))));
  }
  if (type === 'date') return h('input', { ...a, type: 'date', min: '1900-01-01', max: '2199-12-31' });
  if (type === 'integer' || type === 'number') {
    return h('input', { ...a, type: 'number', step: type === 'integer' ? '1' : 'any', inputmode: 'decimal' });
  }
  if (type === 'datetime') return h('input', { ...a, type: 'text', placeholder: 'JJJJ-MM-DDTuu:mm:ss+01:00' });
  if (type === 'string' && spec.max_length && spec.max_length > LONG_TEXT_CHARS) {
    return h('textarea', { ...a, rows: 3, maxlength: spec.max_length });
  }
  return h('input', { ...a, type: 'text', maxlength: spec.max_length, autocomplete: 'off' });
}

function scalarValue(spec, raw) {
  if (raw === '' || raw === undefined) return undefined;
  const type = spec.type || 'string';
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  if (type === 'any') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function arrayControl(name, spec, path, fields, { text, hint, error, describedBy, required }) {
  const itemSpec = spec.items || { type: 'string' };
  const itemName = label(name).toLowerCase();
  const list = h('ol', { class: 'herhaald' });
  const items = [];
  const addButton = h('button', { type: 'button', class: 'knop-licht' }, `Nog een toevoegen: ${itemName}`);
  const wrap = h('fieldset', { class: 'groep', 'aria-describedby': describedBy, 'data-pad': path },
    h('legend', null, text), hint, error, list, addButton);
  fields.set(path, { wrap, error, focusable: null });

  function renumber() {
    items.forEach((it, i) => {
      it.labelEl.textContent = `${label(name)} ${i + 1}`;
      it.remove.setAttribute('aria-label', `Verwijder ${itemName} ${i + 1}`);
    });
  }
  function add(focus) {
    const id = uid('veld');
    let input;
    let value;
    let labelEl;
    if (itemSpec.type === 'object') {
      const inner = objectControl(itemSpec.properties || {}, path, new Map());
      labelEl = h('legend', null, '');
      input = h('fieldset', { class: 'groep' }, labelEl, inner.nodes);
      value = () => inner.value(false);
    } else {
      labelEl = h('label', { for: id }, '');
      input = scalarInput(itemSpec, { id, name: path });
      value = () => scalarValue(itemSpec, input.value);
    }
    const remove = h('button', { type: 'button', class: 'knop-licht klein' }, 'Verwijderen');
    const li = h('li', null, itemSpec.type === 'object' ? input : [labelEl, input], remove);
    const it = { li, value, labelEl, remove };
    remove.addEventListener('click', () => {
      const i = items.indexOf(it);
      items.splice(i, 1);
      li.remove();
      renumber();
      (items[Math.min(i, items.length - 1)]?.remove || addButton).focus();
    });
    items.push(it);
    list.append(li);
    renumber();
    if (focus) (li.querySelector('input, select, textarea') || remove).focus();
  }
  addButton.addEventListener('click', () => add(true));
  const initial = Math.max(1, spec.min_items || 0);
  for (let i = 0; i < initial; i++) add(false);
  return {
    name,
    node: wrap,
    value() {
      const vs = items.map((it) => it.value()).filter((v) => v !== undefined);
      return vs.length || required ? vs : undefined;
    },
  };
}
