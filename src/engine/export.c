/*
 * export.c -- a chart as a diagram (Graphviz DOT or Mermaid), so that the
 * pictures in docs/ are generated from the chart and cannot drift from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "engine/index.h"

typedef struct {
  char *buf;
  size_t len, cap;
  bool nomem;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->nomem) return;
  for (;;) {
    size_t room = b->cap - b->len;
    va_start(ap, fmt);
    n = vsnprintf(b->buf ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->nomem = true;
      return;
    }
    if ((size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    {
      size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
      char *nb = realloc(b->buf, cap);
      if (nb == NULL) {
        b->nomem = true;
        return;
      }
      b->buf = nb;
      b->cap = cap;
    }
  }
}

static bool leafish(const eng_state_t *s) {
  return s->type == ST_ATOMIC || s->type == ST_FINAL;
}

/* The leaf an edge to/from a composite state attaches to: its initial (or first) descendant leaf. */
static int anchor_leaf(const engine_chart_t *c, int s) {
  while (!leafish(&c->states[s]) && c->states[s].children_count > 0)
    s = c->states[s].initial >= 0 ? c->states[s].initial : c->states[s].children[0];
  return s;
}

static void roles_text(const json_t *roles, char *out, size_t size) {
  size_t i;
  json_t *r;
  out[0] = '\0';
  json_array_foreach(roles, i, r) {
    if (i) strncat(out, ",", size - strlen(out) - 1);
    strncat(out, json_string_value(r), size - strlen(out) - 1);
  }
}

static void dot_state(const engine_chart_t *c, int s, sbuf_t *b, int indent) {
  const eng_state_t *st = &c->states[s];
  int k;
  if (leafish(st)) {
    bool show_status = st->status && strcmp(st->status, st->name) != 0;
    sb_printf(b, "%*s\"%s\" [label=\"%s%s%s%s\"%s];\n", indent, "", st->name, st->name,
              show_status ? "\\n(" : "", show_status ? st->status : "", show_status ? ")" : "",
              st->type == ST_FINAL ? ", shape=doublecircle" : "");
    return;
  }
  sb_printf(b, "%*ssubgraph \"cluster_%s\" {\n%*slabel=\"%s%s\"; style=%s;\n", indent, "", st->name,
            indent + 2, "", st->name, st->type == ST_PARALLEL ? " (parallel)" : "",
            st->type == ST_PARALLEL ? "dashed" : "rounded");
  for (k = 0; k < st->children_count; k++) dot_state(c, st->children[k], b, indent + 2);
  sb_printf(b, "%*s}\n", indent, "");
}

static void dot_edge(const engine_chart_t *c, int from, const json_t *t, sbuf_t *b) {
  int to = eng_state_find(c, json_string_value(json_object_get(t, "target")));
  char roles[256];
  roles_text(json_object_get(t, "roles"), roles, sizeof(roles));
  if (to < 0) to = from; /* targetless: a self-loop */
  sb_printf(b, "  \"%s\" -> \"%s\" [label=\"%s\\n[%s]\"", c->states[anchor_leaf(c, from)].name,
            c->states[anchor_leaf(c, to)].name, json_string_value(json_object_get(t, "event")), roles);
  if (!leafish(&c->states[from]) && to != from) sb_printf(b, ", ltail=\"cluster_%s\"", c->states[from].name);
  if (!leafish(&c->states[to]) && to != from) sb_printf(b, ", lhead=\"cluster_%s\"", c->states[to].name);
  if (strcmp(roles, ENGINE_ROLE_SYSTEM) == 0) sb_printf(b, ", style=dashed");
  sb_printf(b, "];\n");
}

static void export_dot(const engine_chart_t *c, sbuf_t *b) {
  int s;
  size_t i;
  json_t *t;
  sb_printf(b,
            "digraph \"%s\" {\n  compound=true; rankdir=LR; fontname=\"Helvetica\";\n"
            "  node [shape=box, style=rounded, fontname=\"Helvetica\"]; edge [fontname=\"Helvetica\", "
            "fontsize=10];\n"
            "  label=\"%s\"; labelloc=t;\n  \"__start\" [shape=point];\n",
            c->id, c->ref);
  dot_state(c, 0, b, 2);
  json_array_foreach(json_object_get(c->doc, "create"), i, t) {
    int to = eng_state_find(c, json_string_value(json_object_get(t, "target")));
    char roles[256];
    roles_text(json_object_get(t, "roles"), roles, sizeof(roles));
    if (to >= 0)
      sb_printf(b, "  \"__start\" -> \"%s\" [label=\"%s\\n[%s]\"];\n", c->states[anchor_leaf(c, to)].name,
                json_string_value(json_object_get(t, "event")), roles);
  }
  for (s = 0; s < c->states_count; s++) {
    json_array_foreach(json_object_get(c->states[s].json, "transitions"), i, t) {
      dot_edge(c, s, t, b);
    }
  }
  sb_printf(b, "}\n");
}

static void mermaid_state(const engine_chart_t *c, int s, sbuf_t *b, int indent) {
  const eng_state_t *st = &c->states[s];
  int k;
  size_t i;
  json_t *t;
  if (!leafish(st)) {
    sb_printf(b, "%*sstate %s {\n", indent, "", st->name);
    if (st->type == ST_COMPOUND && st->initial >= 0)
      sb_printf(b, "%*s[*] --> %s\n", indent + 2, "", c->states[st->initial].name);
    for (k = 0; k < st->children_count; k++) {
      if (st->type == ST_PARALLEL && k > 0) sb_printf(b, "%*s--\n", indent + 2, "");
      mermaid_state(c, st->children[k], b, indent + 2);
    }
    sb_printf(b, "%*s}\n", indent, "");
  } else if (st->type == ST_FINAL) {
    sb_printf(b, "%*s%s --> [*]\n", indent, "", st->name);
  }
  json_array_foreach(json_object_get(st->json, "transitions"), i, t) {
    const char *target = json_string_value(json_object_get(t, "target"));
    char roles[256];
    roles_text(json_object_get(t, "roles"), roles, sizeof(roles));
    sb_printf(b, "%*s%s --> %s : %s [%s]\n", indent, "", st->name, target ? target : st->name,
              json_string_value(json_object_get(t, "event")), roles);
  }
}

int engine_chart_export(const engine_chart_t *chart, const char *format, char **out) {
  sbuf_t b = {NULL, 0, 0, false};
  *out = NULL;
  if (strcmp(format, "dot") == 0) {
    export_dot(chart, &b);
  } else if (strcmp(format, "mermaid") == 0) {
    sb_printf(&b, "---\ntitle: %s\n---\nstateDiagram-v2\n", chart->ref);
    mermaid_state(chart, 0, &b, 0);
  } else {
    return CASUS_EBAD_REQUEST;
  }
  if (b.nomem) {
    free(b.buf);
    return CASUS_ENOMEM;
  }
  *out = b.buf;
  return 0;
}
