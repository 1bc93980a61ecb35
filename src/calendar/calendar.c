/*
 * calendar.c -- civil dates, Europe/Amsterdam time and Dutch working days.
 *
 * Everything here is arithmetic on integers: day numbers since 1970-01-01
 * and seconds since the epoch.  No tz database, no TZ variable, no
 * localtime(): the process must behave the same on every host, and the EU
 * summer-time rule is simple enough to compute (see calendar.h).
 */
#include "calendar/calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/limits.h"

/*
 * Programmer errors (a month 13 passed in by C code, a buffer too small)
 * crash with context.  This does not use assert() because assertions stay on
 * in release builds, where NDEBUG would remove them.
 */

/* Limits of the holiday data format.  A Sunday shift of a week or more, or an
 * Easter offset beyond 200 days, would be a typo rather than a holiday; the
 * bound on the Easter offset also keeps every occurrence within one year of
 * the rule's own year, which calendar_is_holiday relies on. */
#define CAL_SUNDAY_SHIFT_MAX 6
#define CAL_EASTER_OFFSET_MAX 200

#define CAL_DAY_S 86400
/* The years the text formats accept (core/limits.h); the arithmetic works for any year. */
#define CAL_YEAR_MIN LIMIT_DATE_YEAR_MIN
#define CAL_YEAR_MAX LIMIT_DATE_YEAR_MAX

/* --- integer helpers --- */

/* C division truncates toward zero; dates before 1970 and instants before
 * the epoch need the floor. */
static int64_t cal_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

static int64_t cal_floor_mod(int64_t a, int64_t b) {
  return a - cal_floor_div(a, b) * b;
}

static bool cal_is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int cal_days_in_month(int year, int month) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  CASUS_ASSERT(month >= 1 && month <= 12);
  return month == 2 && cal_is_leap(year) ? 29 : days[month - 1];
}

/* --- dates --- */

/*
 * Counts days with the year starting on 1 March, so that the leap day is the
 * last day of its year and the month lengths from March on follow a fixed
 * pattern (153 days per 5 months).  An era is 400 years = 146097 days, after
 * which the Gregorian calendar repeats exactly.
 */
cal_day_t cal_day_from_ymd(int year, int month, int day) {
  int64_t y, era, yoe, mp, doy, doe, days;
  CASUS_ASSERT(month >= 1 && month <= 12);
  CASUS_ASSERT(day >= 1 && day <= cal_days_in_month(year, month));
  y = (int64_t)year - (month <= 2 ? 1 : 0);
  era = cal_floor_div(y, 400);
  yoe = y - era * 400;                         /* 0..399 */
  mp = (month + 9) % 12;                       /* March = 0 ... February = 11 */
  doy = (153 * mp + 2) / 5 + day - 1;          /* 0..365 */
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
  days = era * 146097 + doe - 719468;          /* 719468: 0000-03-01 to 1970-01-01 */
  CASUS_ASSERT(days >= INT32_MIN && days <= INT32_MAX);
  return (cal_day_t)days;
}

/* The inverse of cal_day_from_ymd, same March-based year. */
void cal_day_to_ymd(cal_day_t d, int *year, int *month, int *day) {
  int64_t z = (int64_t)d + 719468;
  int64_t era = cal_floor_div(z, 146097);
  int64_t doe = z - era * 146097;                                      /* 0..146096 */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
  int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
  int64_t dd = doy - (153 * mp + 2) / 5 + 1;
  int64_t mm = mp < 10 ? mp + 3 : mp - 9;
  int64_t yy = yoe + era * 400 + (mm <= 2 ? 1 : 0);
  if (year != NULL) *year = (int)yy;
  if (month != NULL) *month = (int)mm;
  if (day != NULL) *day = (int)dd;
}

/* 1970-01-01 was a Thursday (ISO 4). */
int cal_weekday(cal_day_t d) {
  return (int)cal_floor_mod((int64_t)d + 3, 7) + 1;
}

/* Reads exactly n decimal digits.  Stops at the first non-digit, so it never
 * reads past a NUL.  Unlike strtol/sscanf it accepts no sign or spaces. */
static bool cal_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* Parses the 10 characters "YYYY-MM-DD" at s; what follows is the caller's. */
static bool cal_date_prefix_parse(const char *s, cal_day_t *out) {
  int y, m, d;
  if (!cal_digits(s, 4, &y) || s[4] != '-' || !cal_digits(s + 5, 2, &m) || s[7] != '-' ||
      !cal_digits(s + 8, 2, &d))
    return false;
  if (y < CAL_YEAR_MIN || y > CAL_YEAR_MAX || m < 1 || m > 12 || d < 1 || d > cal_days_in_month(y, m))
    return false;
  *out = cal_day_from_ymd(y, m, d);
  return true;
}

int cal_day_parse(const char *s, cal_day_t *out) {
  cal_day_t d;
  CASUS_ASSERT(out != NULL);
  if (s == NULL || !cal_date_prefix_parse(s, &d) || s[10] != '\0') return CASUS_EINVALID_DATA;
  *out = d;
  return 0;
}

bool cal_day_in_range(cal_day_t d) {
  return d >= cal_day_from_ymd(CAL_YEAR_MIN, 1, 1) && d <= cal_day_from_ymd(CAL_YEAR_MAX, 12, 31);
}

bool cal_time_in_range(int64_t t) {
  return t >= cal_local_midnight(cal_day_from_ymd(CAL_YEAR_MIN, 1, 1)) &&
         t < cal_local_midnight(cal_day_from_ymd(CAL_YEAR_MAX, 12, 31) + 1);
}

void cal_day_format(cal_day_t d, char *buf, size_t size) {
  int y, m, dd;
  CASUS_ASSERT(buf != NULL && size >= 11);
  cal_day_to_ymd(d, &y, &m, &dd);
  /* "YYYY-MM-DD" has four digits of year: a wider one could not be parsed back. */
  CASUS_ASSERT(y >= 0 && y <= 9999);
  snprintf(buf, size, "%04d-%02d-%02d", y, m, dd);
}

/*
 * The "anonymous Gregorian algorithm" (Meeus/Jones/Butcher): the golden
 * number a, the century corrections for the solar (leap years) and lunar
 * (Metonic drift) equations, the epact h, and the weekday correction l give
 * the Sunday after the paschal full moon.  Floor division keeps it defined
 * for every year, though it only means something from 1583.
 */
cal_day_t cal_easter(int year) {
  int64_t y = year;
  int64_t a = cal_floor_mod(y, 19);
  int64_t b = cal_floor_div(y, 100), c = cal_floor_mod(y, 100);
  int64_t d = cal_floor_div(b, 4), e = cal_floor_mod(b, 4);
  int64_t f = cal_floor_div(b + 8, 25);
  int64_t g = cal_floor_div(b - f + 1, 3);
  int64_t h = cal_floor_mod(19 * a + b - d - g + 15, 30);
  int64_t i = c / 4, k = c % 4;
  int64_t l = cal_floor_mod(32 + 2 * e + 2 * i - h - k, 7);
  int64_t m = (a + 11 * h + 22 * l) / 451;
  int64_t month = (h + l - 7 * m + 114) / 31;
  int64_t day = (h + l - 7 * m + 114) % 31 + 1;
  return cal_day_from_ymd(year, (int)month, (int)day);
}

cal_day_t cal_day_add_months(cal_day_t d, int months) {
  int y, m, dd;
  int64_t total;
  cal_day_to_ymd(d, &y, &m, &dd);
  total = (int64_t)y * 12 + (m - 1) + months; /* months since year 0 */
  y = (int)cal_floor_div(total, 12);
  m = (int)cal_floor_mod(total, 12) + 1;
  if (dd > cal_days_in_month(y, m)) dd = cal_days_in_month(y, m);
  return cal_day_from_ymd(y, m, dd);
}

/* --- instants in Europe/Amsterdam --- */

static cal_day_t cal_last_sunday(int year, int month) {
  cal_day_t last = cal_day_from_ymd(year, month, cal_days_in_month(year, month));
  return last - cal_weekday(last) % 7; /* Sunday is 7: no step back */
}

static cal_day_t cal_day_of_instant(int64_t t) {
  int64_t d = cal_floor_div(t, CAL_DAY_S);
  CASUS_ASSERT(d >= INT32_MIN && d <= INT32_MAX);
  return (cal_day_t)d;
}

/* Both switches happen at 01:00 UTC, so the UTC date decides the year: no
 * switch lies near New Year. */
int cal_amsterdam_offset_s(int64_t t) {
  int year;
  int64_t start, end;
  cal_day_to_ymd(cal_day_of_instant(t), &year, NULL, NULL);
  start = (int64_t)cal_last_sunday(year, 3) * CAL_DAY_S + 3600;
  end = (int64_t)cal_last_sunday(year, 10) * CAL_DAY_S + 3600;
  return t >= start && t < end ? 7200 : 3600;
}

cal_day_t cal_local_day(int64_t t) {
  return cal_day_of_instant(t + cal_amsterdam_offset_s(t));
}

/*
 * The clocks change at 02:00 CET / 03:00 CEST, never at midnight, so local
 * 00:00 exists exactly once every day and its offset is the one of the day
 * before a switch: summer time holds at midnight from the Monday after the
 * March switch through the Sunday of the October switch.
 */
int64_t cal_local_midnight(cal_day_t d) {
  int year;
  bool summer;
  cal_day_to_ymd(d, &year, NULL, NULL);
  summer = d > cal_last_sunday(year, 3) && d <= cal_last_sunday(year, 10);
  return (int64_t)d * CAL_DAY_S - (summer ? 7200 : 3600);
}

/*
 * RFC 3339 section 5.6 date-time, and nothing more: no space for "T", no
 * missing seconds, no "+0100".  Fractions are read and dropped (instants
 * here are whole seconds).  A leap second (":60") is refused because Unix
 * time cannot represent it.  "-00:00" ("offset unknown") is taken as UTC.
 */
int cal_time_parse(const char *s, int64_t *out) {
  cal_day_t day;
  int64_t t;
  int hh, mi, ss, oh = 0, om = 0, sign = 0;
  const char *p;
  CASUS_ASSERT(out != NULL);
  if (s == NULL || !cal_date_prefix_parse(s, &day)) return CASUS_EINVALID_DATA;
  if ((s[10] != 'T' && s[10] != 't') || !cal_digits(s + 11, 2, &hh) || s[13] != ':' ||
      !cal_digits(s + 14, 2, &mi) || s[16] != ':' || !cal_digits(s + 17, 2, &ss))
    return CASUS_EINVALID_DATA;
  if (hh > 23 || mi > 59 || ss > 59) return CASUS_EINVALID_DATA;
  p = s + 19;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return CASUS_EINVALID_DATA;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p == '+' ? 1 : -1;
    if (!cal_digits(p + 1, 2, &oh) || p[3] != ':' || !cal_digits(p + 4, 2, &om)) return CASUS_EINVALID_DATA;
    if (oh > 23 || om > 59) return CASUS_EINVALID_DATA;
    p += 6;
  } else {
    return CASUS_EINVALID_DATA;
  }
  if (*p != '\0') return CASUS_EINVALID_DATA;
  t = (int64_t)day * CAL_DAY_S + hh * 3600 + mi * 60 + ss - sign * (oh * 3600 + om * 60);
  /* The offset may carry an instant beyond the last day (or before the
   * first) in Amsterdam, where it would be formatted. */
  if (!cal_time_in_range(t)) return CASUS_EINVALID_DATA;
  *out = t;
  return 0;
}

void cal_time_format(int64_t t, char *buf, size_t size) {
  int off = cal_amsterdam_offset_s(t);
  int64_t local = t + off;
  cal_day_t d = cal_day_of_instant(local);
  int64_t sec = local - (int64_t)d * CAL_DAY_S;
  int y, m, dd;
  CASUS_ASSERT(buf != NULL && size >= 26);
  cal_day_to_ymd(d, &y, &m, &dd);
  snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", y, m, dd, (int)(sec / 3600),
           (int)(sec / 60 % 60), (int)(sec % 60), off / 3600);
}

/* --- holiday sets (R-TIME-1) --- */

/* Writes a reason into err when the caller gave room for one. */
static void cal_err_set(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cal_err_set(char *err, size_t err_size, const char *fmt, ...) {
  va_list ap;
  if (err == NULL || err_size == 0) return;
  va_start(ap, fmt);
  vsnprintf(err, err_size, fmt, ap);
  va_end(ap);
}

/* Ids and holiday names are lowercase identifiers: they appear in config,
 * logs and API answers, and must compare byte for byte. */
static bool cal_name_valid(const json_t *v, bool allow_dash) {
  const char *s;
  size_t n;
  if (!json_is_string(v)) return false;
  s = json_string_value(v);
  n = json_string_length(v); /* counts embedded NULs, which the loop then rejects */
  if (n == 0 || n >= CAL_NAME_BYTES_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (allow_dash && c == '-')))
      return false;
  }
  return true;
}

/* Reads an optional integer member within [lo, hi].  Returns false (with a
 * message) when it is present but not such an integer. */
static bool cal_int_member(const json_t *obj, const char *key, int lo, int hi, bool *present, int *out,
                           const char *what, char *err, size_t err_size) {
  const json_t *v = json_object_get(obj, key);
  *present = v != NULL;
  if (v == NULL) return true;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    cal_err_set(err, err_size, "%s: \"%s\" must be an integer from %d to %d", what, key, lo, hi);
    return false;
  }
  *out = (int)json_integer_value(v);
  return true;
}

static int cal_holiday_load(calendar_t *cal, int idx, const json_t *rule, char *err, size_t err_size) {
  cal_holiday_t *h = &cal->holidays[idx];
  const char *key;
  const json_t *v;
  char what[CAL_NAME_BYTES_MAX + 32];
  bool has_month, has_day, has_shift, has_easter;

  snprintf(what, sizeof what, "holidays[%d]", idx);
  if (!json_is_object(rule)) {
    cal_err_set(err, err_size, "%s: must be an object", what);
    return CASUS_ECONFIG_INVALID;
  }
  v = json_object_get(rule, "name");
  if (!cal_name_valid(v, false)) {
    cal_err_set(err, err_size, "%s: \"name\" must be 1-%d characters a-z, 0-9 or _", what,
                CAL_NAME_BYTES_MAX - 1);
    return CASUS_ECONFIG_INVALID;
  }
  memcpy(h->name, json_string_value(v), json_string_length(v) + 1);
  snprintf(what, sizeof what, "holiday \"%s\"", h->name);

  json_object_foreach((json_t *)rule, key, v) {
    if (strcmp(key, "name") != 0 && strcmp(key, "month") != 0 && strcmp(key, "day") != 0 &&
        strcmp(key, "sunday_shift") != 0 && strcmp(key, "easter_offset") != 0 &&
        strcmp(key, "optional") != 0) {
      cal_err_set(err, err_size, "%s: unknown key \"%s\"", what, key);
      return CASUS_ECONFIG_INVALID;
    }
  }
  for (int i = 0; i < idx; i++) {
    if (strcmp(cal->holidays[i].name, h->name) == 0) {
      cal_err_set(err, err_size, "%s: name appears twice", what);
      return CASUS_ECONFIG_INVALID;
    }
  }

  if (!cal_int_member(rule, "month", 1, 12, &has_month, &h->month, what, err, err_size) ||
      !cal_int_member(rule, "day", 1, 31, &has_day, &h->day, what, err, err_size) ||
      !cal_int_member(rule, "sunday_shift", -CAL_SUNDAY_SHIFT_MAX, CAL_SUNDAY_SHIFT_MAX, &has_shift,
                      &h->sunday_shift, what, err, err_size) ||
      !cal_int_member(rule, "easter_offset", -CAL_EASTER_OFFSET_MAX, CAL_EASTER_OFFSET_MAX, &has_easter,
                      &h->easter_offset, what, err, err_size))
    return CASUS_ECONFIG_INVALID;

  if (has_easter) {
    if (has_month || has_day || has_shift) {
      cal_err_set(err, err_size, "%s: \"easter_offset\" excludes \"month\", \"day\" and \"sunday_shift\"",
                  what);
      return CASUS_ECONFIG_INVALID;
    }
  } else {
    if (!has_month || !has_day) {
      cal_err_set(err, err_size, "%s: needs \"month\" and \"day\", or \"easter_offset\"", what);
      return CASUS_ECONFIG_INVALID;
    }
    /* 29 February is accepted: such a holiday simply occurs in leap years. */
    if (h->day > cal_days_in_month(2000, h->month)) {
      cal_err_set(err, err_size, "%s: month %d has no day %d", what, h->month, h->day);
      return CASUS_ECONFIG_INVALID;
    }
  }

  v = json_object_get(rule, "optional");
  if (v != NULL && !json_is_boolean(v)) {
    cal_err_set(err, err_size, "%s: \"optional\" must be true or false", what);
    return CASUS_ECONFIG_INVALID;
  }
  h->optional = json_is_true(v);
  h->enabled = !h->optional;
  return 0;
}

static int cal_enable(calendar_t *cal, const json_t *enable, char *err, size_t err_size) {
  size_t i;
  const json_t *v;
  if (enable == NULL) return 0;
  if (!json_is_array(enable)) {
    cal_err_set(err, err_size, "enabled holidays must be an array of names");
    return CASUS_ECONFIG_INVALID;
  }
  json_array_foreach((json_t *)enable, i, v) {
    int k;
    if (!json_is_string(v)) {
      cal_err_set(err, err_size, "enabled holidays[%zu]: must be a string", i);
      return CASUS_ECONFIG_INVALID;
    }
    for (k = 0; k < cal->holidays_count; k++) {
      /* strcmp stops at an embedded NUL; the length check keeps "a\0b" from matching "a". */
      if (json_string_length(v) == strlen(cal->holidays[k].name) &&
          strcmp(cal->holidays[k].name, json_string_value(v)) == 0)
        break;
    }
    if (k == cal->holidays_count) {
      cal_err_set(err, err_size, "enabled holidays[%zu]: calendar \"%s\" has no holiday \"%.*s\"", i, cal->id,
                  CAL_NAME_BYTES_MAX, json_string_value(v));
      return CASUS_ECONFIG_INVALID;
    }
    /* Enabling a holiday that is always on is harmless, so it is allowed. */
    cal->holidays[k].enabled = true;
  }
  return 0;
}

static int cal_load(calendar_t *cal, const json_t *doc, const json_t *enable, char *err, size_t err_size) {
  const char *key;
  const json_t *v, *holidays;
  size_t i;
  int rc;

  if (!json_is_object(doc)) {
    cal_err_set(err, err_size, "calendar must be a JSON object");
    return CASUS_ECONFIG_INVALID;
  }
  json_object_foreach((json_t *)doc, key, v) {
    if (strcmp(key, "id") != 0 && strcmp(key, "holidays") != 0) {
      cal_err_set(err, err_size, "calendar: unknown key \"%s\"", key);
      return CASUS_ECONFIG_INVALID;
    }
  }
  v = json_object_get(doc, "id");
  if (!cal_name_valid(v, true)) {
    cal_err_set(err, err_size, "calendar: \"id\" must be 1-%d characters a-z, 0-9, _ or -",
                CAL_NAME_BYTES_MAX - 1);
    return CASUS_ECONFIG_INVALID;
  }
  memcpy(cal->id, json_string_value(v), json_string_length(v) + 1);

  holidays = json_object_get(doc, "holidays");
  if (!json_is_array(holidays)) {
    cal_err_set(err, err_size, "calendar \"%s\": \"holidays\" must be an array", cal->id);
    return CASUS_ECONFIG_INVALID;
  }
  if (json_array_size(holidays) > CAL_HOLIDAYS_MAX) {
    cal_err_set(err, err_size, "calendar \"%s\": %zu holidays, at most %d allowed", cal->id,
                json_array_size(holidays), CAL_HOLIDAYS_MAX);
    return CASUS_ECONFIG_INVALID;
  }
  json_array_foreach((json_t *)holidays, i, v) {
    rc = cal_holiday_load(cal, (int)i, v, err, err_size);
    if (rc < 0) return rc;
    cal->holidays_count = (int)i + 1;
  }
  return cal_enable(cal, enable, err, err_size);
}

/* A failed load leaves *cal zeroed, never half-filled, so a caller that
 * ignores the error gets a calendar without holidays and without an id. */
int calendar_load(calendar_t *cal, const json_t *doc, const json_t *enable, char *err, size_t err_size) {
  int rc;
  CASUS_ASSERT(cal != NULL);
  memset(cal, 0, sizeof *cal);
  if (err != NULL && err_size > 0) err[0] = '\0';
  rc = cal_load(cal, doc, enable, err, err_size);
  if (rc < 0) memset(cal, 0, sizeof *cal);
  return rc;
}

/* The day on which rule h falls in `year` (before any Sunday shift moves it
 * into a neighbouring year), or false when it has none that year (29 Feb). */
static bool cal_holiday_in_year(const cal_holiday_t *h, int year, cal_day_t easter, cal_day_t *out) {
  cal_day_t d;
  if (h->month == 0) {
    *out = easter + h->easter_offset;
    return true;
  }
  if (h->day > cal_days_in_month(year, h->month)) return false;
  d = cal_day_from_ymd(year, h->month, h->day);
  if (h->sunday_shift != 0 && cal_weekday(d) == 7) d += h->sunday_shift;
  *out = d;
  return true;
}

/*
 * A shift or an Easter offset can move a rule's day across New Year (a shift
 * of -1 on 1 January; an offset of +200), so the rule's occurrences in the
 * year before and after d's are checked too.  The format's limits keep every
 * occurrence within a year of its rule's year, so three years suffice.
 */
bool calendar_is_holiday(const calendar_t *cal, cal_day_t d, const char **name) {
  int year;
  CASUS_ASSERT(cal != NULL);
  cal_day_to_ymd(d, &year, NULL, NULL);
  for (int y = year - 1; y <= year + 1; y++) {
    cal_day_t easter = cal_easter(y);
    for (int i = 0; i < cal->holidays_count; i++) {
      const cal_holiday_t *h = &cal->holidays[i];
      cal_day_t hd;
      if (!h->enabled || !cal_holiday_in_year(h, y, easter, &hd) || hd != d) continue;
      if (name != NULL) *name = h->name;
      return true;
    }
  }
  return false;
}

bool calendar_is_working_day(const calendar_t *cal, cal_day_t d) {
  return cal_weekday(d) < 6 && !calendar_is_holiday(cal, d, NULL);
}

cal_day_t calendar_add_working_days(const calendar_t *cal, cal_day_t d, int n) {
  CASUS_ASSERT(cal != NULL && n >= 0);
  while (n > 0) {
    d++;
    if (calendar_is_working_day(cal, d)) n--;
  }
  return d;
}
