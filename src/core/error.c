#include "core/error.h"

#include <stddef.h>

struct err_row {
  int status;
  const char *code;
  const char *msg;
};

static const struct err_row err_rows[] = {
#define CASUS_ERR_ROW(name, status, code, msg) {status, code, msg},
    CASUS_ERR_MAP(CASUS_ERR_ROW)
#undef CASUS_ERR_ROW
};

static const struct err_row *err_row_get(int err) {
  int idx = err - (CASUS__ERR_BASE + 1);
  if (err >= 0 || idx < 0 || (size_t)idx >= sizeof(err_rows) / sizeof(err_rows[0])) return NULL;
  return &err_rows[idx];
}

int core_err_http_status(int err) {
  const struct err_row *r;
  if (err == CASUS_OK) return 200;
  r = err_row_get(err);
  return r ? r->status : 500;
}

const char *core_err_code(int err) {
  const struct err_row *r;
  if (err == CASUS_OK) return "ok";
  r = err_row_get(err);
  return r ? r->code : "internal_error";
}

const char *core_err_message(int err) {
  const struct err_row *r;
  if (err == CASUS_OK) return "ok";
  r = err_row_get(err);
  return r ? r->msg : "An internal error occurred.";
}
