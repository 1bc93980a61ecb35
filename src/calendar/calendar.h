/*
 * calendar.h -- civil dates, Europe/Amsterdam time and Dutch working days.
 *
 * Dates are `cal_day_t`: days since 1970-01-01 in the proleptic Gregorian
 * calendar.  Instants are `int64_t` seconds since the Unix epoch (UTC).
 * Local time is Europe/Amsterdam: CET (+01:00) and CEST (+02:00) from 01:00
 * UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October
 * (EU rule, computed, no tz database needed).
 *
 * A holiday set (R-TIME-1) is data: calendars/<id>.json lists rules, each
 * either a fixed date (month, day, with an optional shift when it falls on a
 * Sunday, as Koningsdag) or an offset in days from Easter Sunday (computed,
 * never listed).  Rules marked "optional" are off unless a region enables
 * them by name.  Example:
 *
 *   {"id": "nl", "holidays": [
 *     {"name": "nieuwjaarsdag", "month": 1, "day": 1},
 *     {"name": "goede_vrijdag", "easter_offset": -2, "optional": true},
 *     {"name": "koningsdag", "month": 4, "day": 27, "sunday_shift": -1}, ...]}
 *
 * All functions are pure and thread-safe; a calendar_t is immutable after
 * calendar_load.
 */
#ifndef CASUS_CALENDAR_H
#define CASUS_CALENDAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int32_t cal_day_t;

#define CAL_HOLIDAYS_MAX 32
#define CAL_NAME_BYTES_MAX 48

/* --- dates --- */

/* Day number of a valid civil date (month 1-12, day 1-31). */
cal_day_t cal_day_from_ymd(int year, int month, int day);
void cal_day_to_ymd(cal_day_t d, int *year, int *month, int *day);
/* 1 = Monday ... 7 = Sunday (ISO). */
int cal_weekday(cal_day_t d);
/* Parses exactly "YYYY-MM-DD": a real date from 1900-01-01 to 2199-12-31
 * (LIMIT_DATE_YEAR_MIN, LIMIT_DATE_YEAR_MAX).  0 or CASUS_EINVALID_DATA. */
int cal_day_parse(const char *s, cal_day_t *out);
/* Whether d lies in the range cal_day_parse accepts: what every date that
 * is stored or armed must keep to (a computed deadline too). */
bool cal_day_in_range(cal_day_t d);
/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes).  A year
 * beyond four digits is a programming error (callers keep to the range). */
void cal_day_format(cal_day_t d, char *buf, size_t size);
/* Easter Sunday of `year` (Gregorian, anonymous algorithm). */
cal_day_t cal_easter(int year);
/* Calendar arithmetic (R-TIME-2).  Months clamp to the last day of the
 * target month: 31 January + 1 month = 28/29 February. */
cal_day_t cal_day_add_months(cal_day_t d, int months);

/* --- instants in Europe/Amsterdam --- */

/* UTC offset in seconds (3600 or 7200) in force at instant t. */
int cal_amsterdam_offset_s(int64_t t);
/* The local date at instant t. */
cal_day_t cal_local_day(int64_t t);
/* The instant of local midnight (00:00 Europe/Amsterdam) starting day d. */
int64_t cal_local_midnight(cal_day_t d);
/* Parses RFC 3339 ("2027-01-04T09:00:00+01:00", "...Z", fractional seconds
 * ignored) into seconds since the epoch: its date is in the range of
 * cal_day_parse, and so is the instant's day in Europe/Amsterdam
 * (cal_time_in_range).  0 or CASUS_EINVALID_DATA. */
int cal_time_parse(const char *s, int64_t *out);
/* Whether instant t falls on a day from 1900-01-01 to 2199-12-31 in Europe/Amsterdam. */
bool cal_time_in_range(int64_t t);
/* Formats t as RFC 3339 in Amsterdam local time with its offset,
 * e.g. "2027-01-04T09:00:00+01:00". buf needs at least 26 bytes. */
void cal_time_format(int64_t t, char *buf, size_t size);

/* --- holiday sets and working days (R-TIME-1) --- */

typedef struct {
  char name[CAL_NAME_BYTES_MAX];
  int month, day;    /* fixed date when month > 0 */
  int sunday_shift;  /* days to move a fixed date that falls on a Sunday (0: none) */
  int easter_offset; /* days from Easter Sunday when month == 0 */
  bool optional;     /* off unless enabled */
  bool enabled;
} cal_holiday_t;

typedef struct {
  char id[CAL_NAME_BYTES_MAX];
  int holidays_count;
  cal_holiday_t holidays[CAL_HOLIDAYS_MAX];
} calendar_t;

/* Loads a holiday set from its JSON form (borrowed).  `enable` (borrowed, may
 * be NULL) is a JSON array of names of optional holidays to switch on.
 * Returns 0, or CASUS_ECONFIG_INVALID with a reason in err (may be NULL). */
int calendar_load(calendar_t *cal, const json_t *doc, const json_t *enable, char *err, size_t err_size);
/* Non-zero when d is a public holiday of cal; `name` (may be NULL) receives its name. */
bool calendar_is_holiday(const calendar_t *cal, cal_day_t d, const char **name);
/* True unless d is a Saturday, a Sunday or a holiday of cal. */
bool calendar_is_working_day(const calendar_t *cal, cal_day_t d);
/* The n-th working day after d (d itself never counts); n >= 0, n == 0 returns d. */
cal_day_t calendar_add_working_days(const calendar_t *cal, cal_day_t d, int n);

#endif
