/*
 * test_calendar.c -- civil dates, Europe/Amsterdam time, Dutch working days.
 *
 * Expected values are literals worked out outside the code under test (the
 * published Dutch holidays, Easter tables, the tz database's Amsterdam
 * switches), never recomputed with the functions being checked.
 *
 * Rules proved here:
 *   R-TIME-1  working days skip weekends and the holidays of a data-driven
 *             set; Easter is computed (holidays_*, working_days_*, load_*).
 *   R-TIME-2  weeks/months are calendar based in Europe/Amsterdam
 *             (add_months_*, dst_*, local_*).
 */
#include "calendar/calendar.h"
#include "core/error.h"
#include "test.h"

#ifndef CASUS_SOURCE_DIR
#error "CASUS_SOURCE_DIR must point at the source tree"
#endif

/* --- helpers --- */

/* A day from a literal "YYYY-MM-DD"; parse itself is checked in day_parse_*. */
static cal_day_t day(const char *s) {
  cal_day_t d = 0;
  ASSERT_EQ(cal_day_parse(s, &d), 0);
  return d;
}

#define ASSERT_DAY(d, s)                    \
  do {                                      \
    char buf_[16];                          \
    cal_day_format((d), buf_, sizeof buf_); \
    ASSERT_STR_EQ(buf_, (s));               \
  } while (0)

/* An instant from a literal RFC 3339 string; parse is checked in time_parse_*. */
static int64_t instant(const char *s) {
  int64_t t = 0;
  ASSERT_EQ(cal_time_parse(s, &t), 0);
  return t;
}

#define ASSERT_TIME_FMT(t, s)                \
  do {                                       \
    char buf_[32];                           \
    cal_time_format((t), buf_, sizeof buf_); \
    ASSERT_STR_EQ(buf_, (s));                \
  } while (0)

/* Loads the real calendars/nl.json; `enable_json` is a JSON array or NULL. */
static void load_nl(calendar_t *cal, const char *enable_json) {
  json_error_t jerr;
  json_t *doc = json_load_file(CASUS_SOURCE_DIR "/calendars/nl.json", JSON_REJECT_DUPLICATES, &jerr);
  json_t *enable = enable_json ? json_loads(enable_json, 0, &jerr) : NULL;
  char err[256] = "";
  int rc;
  if (doc == NULL) TEST__FAIL("calendars/nl.json: %s (line %d)", jerr.text, jerr.line);
  if (enable_json != NULL && enable == NULL) TEST__FAIL("bad enable literal: %s", jerr.text);
  rc = calendar_load(cal, doc, enable, err, sizeof err);
  json_decref(doc);
  json_decref(enable);
  if (rc != 0) TEST__FAIL("calendar_load(nl.json) = %d: %s", rc, err);
}

/* Loads a calendar from a JSON literal; returns calendar_load's result, err filled. */
static int load_str(calendar_t *cal, const char *doc_json, const char *enable_json, char *err, size_t size) {
  json_error_t jerr;
  json_t *doc = json_loads(doc_json, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
  json_t *enable = enable_json ? json_loads(enable_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr) : NULL;
  int rc;
  if (doc == NULL) TEST__FAIL("bad doc literal %s: %s", doc_json, jerr.text);
  if (enable_json != NULL && enable == NULL) TEST__FAIL("bad enable literal: %s", jerr.text);
  rc = calendar_load(cal, doc, enable, err, size);
  json_decref(doc);
  json_decref(enable);
  return rc;
}

/* --- civil dates --- */

TEST(day_epoch_anchors) {
  int y, m, d;
  ASSERT_EQ(cal_day_from_ymd(1970, 1, 1), 0);
  ASSERT_EQ(cal_day_from_ymd(1969, 12, 31), -1);
  ASSERT_EQ(cal_day_from_ymd(2000, 1, 1), 10957);
  ASSERT_EQ(cal_day_from_ymd(1900, 1, 1), -25567);
  ASSERT_EQ(cal_day_from_ymd(2027, 1, 4), 20822);
  ASSERT_EQ(cal_day_from_ymd(2026, 12, 31), 20818);
  ASSERT_EQ(cal_day_from_ymd(9999, 12, 31), 2932896);
  cal_day_to_ymd(-25567, &y, &m, &d);
  ASSERT_EQ(y, 1900);
  ASSERT_EQ(m, 1);
  ASSERT_EQ(d, 1);
  cal_day_to_ymd(2932896, &y, &m, &d);
  ASSERT_EQ(y, 9999);
  ASSERT_EQ(m, 12);
  ASSERT_EQ(d, 31);
}

/* Walks every day from 1900 to 2100 with a plain y/m/d counter and checks
 * both conversions and the weekday against it. */
TEST(day_ymd_round_trip_1900_2100) {
  static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 1900, m = 1, d = 1, wd = 1; /* 1900-01-01 was a Monday */
  for (cal_day_t n = -25567; y <= 2100; n++) {
    int yy, mm, dd;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    ASSERT_EQ(cal_day_from_ymd(y, m, d), n);
    cal_day_to_ymd(n, &yy, &mm, &dd);
    ASSERT_EQ(yy, y);
    ASSERT_EQ(mm, m);
    ASSERT_EQ(dd, d);
    ASSERT_EQ(cal_weekday(n), wd);
    wd = wd % 7 + 1;
    if (++d > len[m - 1] + (m == 2 && leap)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  }
}

TEST(weekday_iso) {
  ASSERT_EQ(cal_weekday(0), 4);                 /* 1970-01-01 Thursday */
  ASSERT_EQ(cal_weekday(-1), 3);                /* 1969-12-31 Wednesday */
  ASSERT_EQ(cal_weekday(10957), 6);             /* 2000-01-01 Saturday */
  ASSERT_EQ(cal_weekday(20822), 1);             /* 2027-01-04 Monday */
  ASSERT_EQ(cal_weekday(day("2027-03-28")), 7); /* Sunday */
}

TEST(day_parse_accepts) {
  cal_day_t d;
  ASSERT_EQ(cal_day_parse("2027-01-04", &d), 0);
  ASSERT_EQ(d, 20822);
  ASSERT_EQ(cal_day_parse("1900-01-01", &d), 0);
  ASSERT_EQ(d, -25567);
  ASSERT_EQ(cal_day_parse("2199-12-31", &d), 0);
  ASSERT_EQ(d, 84005);
  ASSERT_EQ(cal_day_parse("2028-02-29", &d), 0);
  ASSERT_EQ(cal_day_parse("2000-02-29", &d), 0);
}

TEST(day_parse_rejects) {
  static const char *bad[] = {
      "",
      "2027-02-29",
      "2100-02-29",
      "2027-02-30",
      "2027-04-31",
      "2027-13-01",
      "2027-00-10",
      "2027-01-00",
      "2027-01-32",
      "1899-12-31",
      "2200-01-01",
      "9999-12-31",
      "10000-01-01",
      "2027-1-04",
      "2027-01-4",
      "27-01-04",
      "2027/01/04",
      "2027-01-04x",
      " 2027-01-04",
      "2027-01-04 ",
      "+027-01-04",
      "2027-+1-04",
      "2027-01-04T00:00:00Z",
      "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x97-01-04",
  };
  cal_day_t d = 12345;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (cal_day_parse(bad[i], &d) != CASUS_EINVALID_DATA) TEST__FAIL("accepted \"%s\"", bad[i]);
  }
  ASSERT_EQ(cal_day_parse(NULL, &d), CASUS_EINVALID_DATA);
  ASSERT_EQ(d, 12345); /* untouched on error */
}

TEST(day_format) {
  char buf[11];
  cal_day_format(20822, buf, sizeof buf);
  ASSERT_STR_EQ(buf, "2027-01-04");
  cal_day_format(-25567, buf, sizeof buf);
  ASSERT_STR_EQ(buf, "1900-01-01");
  cal_day_format(-1, buf, sizeof buf);
  ASSERT_STR_EQ(buf, "1969-12-31");
}

/* Easter is computed, not listed (R-TIME-1).  Dates from published tables,
 * including the earliest (22 March) and latest (25 April) possible ones. */
TEST(easter_computed_R_TIME_1) {
  static const struct {
    int year;
    const char *date;
  } tab[] = {
      {2024, "2024-03-31"}, {2025, "2025-04-20"}, {2026, "2026-04-05"}, {2027, "2027-03-28"},
      {2028, "2028-04-16"}, {2029, "2029-04-01"}, {2030, "2030-04-21"}, {1961, "1961-04-02"},
      {2000, "2000-04-23"}, {2008, "2008-03-23"}, {2011, "2011-04-24"}, {1818, "1818-03-22"},
      {2285, "2285-03-22"}, {1943, "1943-04-25"}, {2038, "2038-04-25"}, {1900, "1900-04-15"},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    cal_day_t e = cal_easter(tab[i].year);
    ASSERT_DAY(e, tab[i].date);
    ASSERT_EQ(cal_weekday(e), 7);
  }
}

/* Easter is always a Sunday between 22 March and 25 April. */
TEST(easter_range_1583_3000) {
  for (int y = 1583; y <= 3000; y++) {
    cal_day_t e = cal_easter(y);
    ASSERT_EQ(cal_weekday(e), 7);
    ASSERT_GE(e, cal_day_from_ymd(y, 3, 22));
    ASSERT_LE(e, cal_day_from_ymd(y, 4, 25));
  }
}

/* Month arithmetic is calendar based and clamps to the month's end (R-TIME-2). */
TEST(add_months_clamps_R_TIME_2) {
  ASSERT_DAY(cal_day_add_months(day("2027-01-31"), 1), "2027-02-28");
  ASSERT_DAY(cal_day_add_months(day("2028-01-31"), 1), "2028-02-29");
  ASSERT_DAY(cal_day_add_months(day("2100-01-31"), 1), "2100-02-28"); /* century, not leap */
  ASSERT_DAY(cal_day_add_months(day("2000-01-31"), 1), "2000-02-29"); /* 400 years, leap */
  ASSERT_DAY(cal_day_add_months(day("2028-02-29"), 12), "2029-02-28");
  ASSERT_DAY(cal_day_add_months(day("2028-02-29"), 48), "2032-02-29");
  ASSERT_DAY(cal_day_add_months(day("2027-01-31"), 13), "2028-02-29");
  ASSERT_DAY(cal_day_add_months(day("2027-05-31"), 1), "2027-06-30");
  ASSERT_DAY(cal_day_add_months(day("2027-08-31"), 1), "2027-09-30");
  ASSERT_DAY(cal_day_add_months(day("2027-01-31"), 2), "2027-03-31"); /* no clamp carried over */
  ASSERT_DAY(cal_day_add_months(day("2027-03-31"), -1), "2027-02-28");
  ASSERT_DAY(cal_day_add_months(day("2027-01-15"), -1), "2026-12-15");
  ASSERT_DAY(cal_day_add_months(day("2027-12-15"), 1), "2028-01-15");
  ASSERT_DAY(cal_day_add_months(day("2027-03-31"), -25), "2025-02-28");
  ASSERT_DAY(cal_day_add_months(day("2027-03-31"), -13), "2026-02-28");
  ASSERT_DAY(cal_day_add_months(day("2027-06-15"), 0), "2027-06-15");
  ASSERT_DAY(cal_day_add_months(day("2026-11-30"), 3), "2027-02-28");
  ASSERT_DAY(cal_day_add_months(day("1970-01-31"), -1), "1969-12-31");
}

/* --- Europe/Amsterdam (R-TIME-2) --- */

/* The switches of 2024-2030 as the tz database has them: 01:00 UTC on the
 * last Sundays of March and October. */
TEST(dst_switches_2024_2030_R_TIME_2) {
  static const struct {
    int64_t start, end;
  } tab[] = {
      {1711846800, 1729990800}, /* 2024-03-31, 2024-10-27 */
      {1743296400, 1761440400}, /* 2025-03-30, 2025-10-26 */
      {1774746000, 1792890000}, /* 2026-03-29, 2026-10-25 */
      {1806195600, 1824944400}, /* 2027-03-28, 2027-10-31 */
      {1837645200, 1856394000}, /* 2028-03-26, 2028-10-29 */
      {1869094800, 1887843600}, /* 2029-03-25, 2029-10-28 */
      {1901149200, 1919293200}, /* 2030-03-31, 2030-10-27 */
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].start - 1), 3600);
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].start), 7200);
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].end - 1), 7200);
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].end), 3600);
    /* midsummer and midwinter of the same year */
    ASSERT_EQ(cal_amsterdam_offset_s((tab[i].start + tab[i].end) / 2), 7200);
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].start - 60 * 86400), 3600);
    ASSERT_EQ(cal_amsterdam_offset_s(tab[i].end + 60 * 86400), 3600);
  }
}

TEST(dst_2027_spring_forward_R_TIME_2) {
  int64_t m28 = cal_local_midnight(day("2027-03-28"));
  int64_t m29 = cal_local_midnight(day("2027-03-29"));
  ASSERT_EQ(m28, instant("2027-03-27T23:00:00Z"));
  ASSERT_EQ(m29, instant("2027-03-28T22:00:00Z"));
  ASSERT_EQ(m29 - m28, 23 * 3600); /* the short day */
  ASSERT_EQ(cal_amsterdam_offset_s(instant("2027-03-28T00:59:59Z")), 3600);
  ASSERT_EQ(cal_amsterdam_offset_s(instant("2027-03-28T01:00:00Z")), 7200);
  ASSERT_TIME_FMT(instant("2027-03-28T00:59:59Z"), "2027-03-28T01:59:59+01:00");
  ASSERT_TIME_FMT(instant("2027-03-28T01:00:00Z"), "2027-03-28T03:00:00+02:00");
  ASSERT_TIME_FMT(m28, "2027-03-28T00:00:00+01:00");
  ASSERT_TIME_FMT(m29, "2027-03-29T00:00:00+02:00");
  ASSERT_DAY(cal_local_day(m28 - 1), "2027-03-27");
  ASSERT_DAY(cal_local_day(m28), "2027-03-28");
  ASSERT_DAY(cal_local_day(m29 - 1), "2027-03-28");
  ASSERT_DAY(cal_local_day(m29), "2027-03-29");
}

TEST(dst_2027_fall_back_R_TIME_2) {
  int64_t m31 = cal_local_midnight(day("2027-10-31"));
  int64_t m01 = cal_local_midnight(day("2027-11-01"));
  ASSERT_EQ(m31, instant("2027-10-30T22:00:00Z"));
  ASSERT_EQ(m01, instant("2027-10-31T23:00:00Z"));
  ASSERT_EQ(m01 - m31, 25 * 3600); /* the long day */
  ASSERT_EQ(cal_amsterdam_offset_s(instant("2027-10-31T00:59:59Z")), 7200);
  ASSERT_EQ(cal_amsterdam_offset_s(instant("2027-10-31T01:00:00Z")), 3600);
  /* 02:30 local happens twice; the offset tells them apart */
  ASSERT_TIME_FMT(instant("2027-10-31T00:30:00Z"), "2027-10-31T02:30:00+02:00");
  ASSERT_TIME_FMT(instant("2027-10-31T01:30:00Z"), "2027-10-31T02:30:00+01:00");
  ASSERT_EQ(instant("2027-10-31T02:30:00+02:00") + 3600, instant("2027-10-31T02:30:00+01:00"));
  ASSERT_TIME_FMT(m31, "2027-10-31T00:00:00+02:00");
  ASSERT_TIME_FMT(m01, "2027-11-01T00:00:00+01:00");
  ASSERT_DAY(cal_local_day(m31 - 1), "2027-10-30");
  ASSERT_DAY(cal_local_day(m31), "2027-10-31");
  ASSERT_DAY(cal_local_day(m01 - 1), "2027-10-31");
  ASSERT_DAY(cal_local_day(m01), "2027-11-01");
}

/* Every local midnight of 2024-2030 formats as 00:00 on its own day, every
 * day is 23, 24 or 25 hours long, and the odd ones are exactly the switch days. */
TEST(local_midnight_every_day_2024_2030_R_TIME_2) {
  int short_days = 0, long_days = 0;
  for (cal_day_t d = day("2024-01-01"); d <= day("2030-12-31"); d++) {
    char buf[32], want[32];
    int64_t m = cal_local_midnight(d), len = cal_local_midnight(d + 1) - m;
    cal_day_format(d, want, sizeof want);
    cal_time_format(m, buf, sizeof buf);
    ASSERT(strncmp(buf, want, 10) == 0);
    ASSERT(strncmp(buf + 10, "T00:00:00+0", 11) == 0);
    ASSERT_EQ(cal_local_day(m), d);
    ASSERT_EQ(cal_local_day(m - 1), d - 1);
    if (len == 23 * 3600) {
      short_days++;
      ASSERT_EQ(cal_weekday(d), 7);
    } else if (len == 25 * 3600) {
      long_days++;
      ASSERT_EQ(cal_weekday(d), 7);
    } else {
      ASSERT_EQ(len, 24 * 3600);
    }
  }
  ASSERT_EQ(short_days, 7);
  ASSERT_EQ(long_days, 7);
}

/* Weeks are counted in local days, not in 7 * 86400 seconds: one week after
 * Monday 09:00 winter time is Monday 09:00 summer time. */
TEST(week_across_dst_is_calendar_based_R_TIME_2) {
  int64_t t = instant("2027-03-22T09:00:00+01:00");
  cal_day_t next = cal_local_day(t) + 7;
  int64_t later = cal_local_midnight(next) + 9 * 3600;
  ASSERT_TIME_FMT(later, "2027-03-29T09:00:00+02:00");
  ASSERT_DAY(next, "2027-03-29");
  ASSERT_EQ(cal_local_midnight(next) - cal_local_midnight(cal_local_day(t)), 7 * 86400 - 3600);
}

/* --- RFC 3339 --- */

TEST(time_parse_accepts) {
  int64_t t;
  ASSERT_EQ(cal_time_parse("2027-01-04T08:00:00Z", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04T09:00:00+01:00", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04t08:00:00z", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04T08:00:00.999999999Z", &t), 0);
  ASSERT_EQ(t, 1799049600); /* fraction dropped, not rounded */
  ASSERT_EQ(cal_time_parse("2027-01-04T08:00:00.5+00:00", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04T10:30:00+02:30", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04T03:00:00-05:00", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-03T23:00:00-09:00", &t), 0); /* date rolls over */
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("2027-01-04T08:00:00-00:00", &t), 0);
  ASSERT_EQ(t, 1799049600);
  ASSERT_EQ(cal_time_parse("1970-01-01T00:00:00Z", &t), 0);
  ASSERT_EQ(t, 0);
  ASSERT_EQ(cal_time_parse("1969-12-31T23:59:59Z", &t), 0);
  ASSERT_EQ(t, -1);
  ASSERT_EQ(cal_time_parse("1970-01-01T00:59:59+01:00", &t), 0);
  ASSERT_EQ(t, -1);
  ASSERT_EQ(cal_time_parse("2028-02-29T23:59:59Z", &t), 0);
  ASSERT_EQ(t, 1835481599);
  ASSERT_EQ(cal_time_parse("2199-12-31T22:59:59Z", &t), 0); /* 23:59:59 in Amsterdam */
  ASSERT_EQ(t, 7258114799);
  ASSERT_EQ(cal_time_parse("1900-01-01T00:00:00+01:00", &t), 0);
  ASSERT_EQ(t, -2208992400);
}

/* Every date and datetime lies in 1900-01-01 .. 2199-12-31 (core/limits.h),
 * a datetime by its day in Europe/Amsterdam, where it is formatted; the
 * last second is in, the next one out, at both ends. */
TEST(date_range_bounds) {
  int64_t t;
  cal_day_t d;
  char buf[32];
  ASSERT(cal_day_in_range(day("1900-01-01")));
  ASSERT(cal_day_in_range(day("2199-12-31")));
  ASSERT(!cal_day_in_range(day("1900-01-01") - 1));
  ASSERT(!cal_day_in_range(day("2199-12-31") + 1));
  ASSERT_EQ(cal_day_parse("2200-01-01", &d), CASUS_EINVALID_DATA);
  ASSERT_EQ(cal_day_parse("1899-12-31", &d), CASUS_EINVALID_DATA);
  /* The offset decides: 23:59:59 on the last day in Amsterdam is in, a second later is out. */
  ASSERT_EQ(cal_time_parse("2199-12-31T23:59:59+01:00", &t), 0);
  ASSERT(cal_time_in_range(t));
  ASSERT(!cal_time_in_range(t + 1));
  cal_time_format(t, buf, sizeof buf);
  ASSERT_STR_EQ(buf, "2199-12-31T23:59:59+01:00");
  ASSERT_EQ(cal_time_parse("2199-12-31T23:00:00Z", &t), CASUS_EINVALID_DATA);      /* 2200 in Amsterdam */
  ASSERT_EQ(cal_time_parse("2199-12-31T18:00:00-05:00", &t), CASUS_EINVALID_DATA); /* 2200 in Amsterdam */
  ASSERT_EQ(cal_time_parse("1900-01-01T00:00:00+02:00", &t), CASUS_EINVALID_DATA); /* 1899 in Amsterdam */
  ASSERT_EQ(cal_time_parse("1900-01-01T00:00:00Z", &t), 0);
  ASSERT(cal_time_in_range(t));
  ASSERT(!cal_time_in_range(t - 3601));
  ASSERT_EQ(cal_time_parse("2200-01-01T00:00:00+01:00", &t), CASUS_EINVALID_DATA);
  ASSERT_EQ(cal_time_parse("9999-12-31T23:59:59Z", &t), CASUS_EINVALID_DATA);
}

TEST(time_parse_rejects) {
  static const char *bad[] = {
      "",
      "2027-01-04",
      "2027-01-04T09:00:00",  /* no offset */
      "2027-01-04T09:00Z",    /* no seconds */
      "2027-01-04 09:00:00Z", /* space for T */
      "2027-01-04_09:00:00Z",
      "2027-02-30T09:00:00Z", /* no such day */
      "2027-02-29T09:00:00Z", /* not a leap year */
      "2027-13-01T09:00:00Z",
      "2027-01-04T24:00:00Z", /* hour 24 */
      "2027-01-04T09:60:00Z",
      "2027-01-04T09:00:60Z", /* leap second */
      "2027-01-04T9:00:00Z",
      "2027-01-04T09:0:00Z",
      "2027-01-04T09:00:00+0100",
      "2027-01-04T09:00:00+01",
      "2027-01-04T09:00:00+1:00",
      "2027-01-04T09:00:00+01:0",
      "2027-01-04T09:00:00+24:00",
      "2027-01-04T09:00:00+01:60",
      "2027-01-04T09:00:00 +01:00",
      "2027-01-04T09:00:00UTC",
      "2027-01-04T09:00:00Zx", /* trailing garbage */
      "2027-01-04T09:00:00Z ",
      "2027-01-04T09:00:00+01:00 ",
      "2027-01-04T09:00:00+01:00Z",
      " 2027-01-04T09:00:00Z",
      "2027-01-04T09:00:00.Z",  /* empty fraction */
      "2027-01-04T09:00:00,5Z", /* comma */
      "2027-01-04T09:00:00.5.5Z",
      "2027-01-04T09:00:00.-5Z",
      "1899-12-31T23:59:59Z",
      "2200-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z",
      "+2027-01-04T09:00:00Z",
      "2027-01-04T-9:00:00Z",
      "2027-01-04T09:00:00\xef\xbc\xba", /* fullwidth Z */
  };
  int64_t t = 42;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (cal_time_parse(bad[i], &t) != CASUS_EINVALID_DATA) TEST__FAIL("accepted \"%s\"", bad[i]);
  }
  ASSERT_EQ(cal_time_parse(NULL, &t), CASUS_EINVALID_DATA);
  ASSERT_EQ(t, 42); /* untouched on error */
}

TEST(time_format) {
  ASSERT_TIME_FMT(1799049600, "2027-01-04T09:00:00+01:00");
  ASSERT_TIME_FMT(0, "1970-01-01T01:00:00+01:00");
  ASSERT_TIME_FMT(-1, "1970-01-01T00:59:59+01:00");
  ASSERT_TIME_FMT(instant("2027-07-01T12:00:00Z"), "2027-07-01T14:00:00+02:00");
  ASSERT_TIME_FMT(instant("2026-12-31T23:30:00Z"), "2027-01-01T00:30:00+01:00"); /* local New Year */
  ASSERT_TIME_FMT(instant("2027-06-30T22:00:00Z"), "2027-07-01T00:00:00+02:00");
  {
    char buf[26]; /* the documented minimum */
    cal_time_format(1799049600, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-01-04T09:00:00+01:00");
  }
}

/* parse(format(t)) == t over 2024-2030 (a prime step, so every second of
 * the day and both switches are sampled), and format(parse(s)) == s for
 * local strings. */
TEST(time_round_trip) {
  static const char *local[] = {
      "2027-01-04T09:00:00+01:00", "2027-03-28T01:59:59+01:00", "2027-03-28T03:00:00+02:00",
      "2027-10-31T02:30:00+02:00", "2027-10-31T02:30:00+01:00", "2028-02-29T23:59:59+01:00",
      "2030-12-31T23:59:59+01:00", "2024-06-15T00:00:00+02:00",
  };
  int64_t from = instant("2024-01-01T00:00:00Z"), to = instant("2031-01-01T00:00:00Z");
  for (int64_t t = from; t < to; t += 7919) {
    char buf[32];
    int64_t back;
    cal_time_format(t, buf, sizeof buf);
    ASSERT_EQ(cal_time_parse(buf, &back), 0);
    ASSERT_EQ(back, t);
  }
  for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) ASSERT_TIME_FMT(instant(local[i]), local[i]);
}

/* --- holidays and working days (R-TIME-1) --- */

typedef struct {
  const char *date, *name;
} expect_t;

/* Checks every day of `year` against the complete list of its holidays. */
static void check_year(const calendar_t *cal, int year, const expect_t *want, size_t want_count) {
  size_t found = 0;
  for (cal_day_t d = cal_day_from_ymd(year, 1, 1); d <= cal_day_from_ymd(year, 12, 31); d++) {
    char buf[16];
    const char *name = NULL;
    size_t i;
    cal_day_format(d, buf, sizeof buf);
    for (i = 0; i < want_count && strcmp(want[i].date, buf) != 0; i++) {
    }
    if (calendar_is_holiday(cal, d, &name)) {
      if (i == want_count) TEST__FAIL("%s is a holiday (%s) but should not be", buf, name);
      ASSERT_STR_EQ(name, want[i].name);
      ASSERT(!calendar_is_working_day(cal, d));
      found++;
    } else {
      if (i < want_count) TEST__FAIL("%s should be %s", buf, want[i].name);
      ASSERT_EQ(calendar_is_working_day(cal, d), cal_weekday(d) <= 5);
    }
  }
  ASSERT_EQ(found, want_count);
}

/* The published holidays of 2024-2030, Hemelvaart and Pinkstermaandag
 * written out, not derived from Easter. */
#define NL_YEAR(y, goede_vrijdag, paasmaandag, koningsdag, hemelvaart, vrijdag_na, pinkstermaandag) \
  {                                                                                                 \
    y, {                                                                                            \
      {#y "-01-01", "nieuwjaarsdag"}, {paasmaandag, "tweede_paasdag"}, {koningsdag, "koningsdag"},  \
          {#y "-05-05", "bevrijdingsdag"}, {hemelvaart, "hemelvaartsdag"},                          \
          {pinkstermaandag, "tweede_pinksterdag"}, {#y "-12-25", "eerste_kerstdag"},                \
          {#y "-12-26", "tweede_kerstdag"}, {goede_vrijdag, "goede_vrijdag"}, {                     \
        vrijdag_na, "vrijdag_na_hemelvaart"                                                         \
      }                                                                                             \
    }                                                                                               \
  }

static const struct {
  int year;
  expect_t days[10]; /* the last two are the optional ones */
} nl_years[] = {
    NL_YEAR(2024, "2024-03-29", "2024-04-01", "2024-04-27", "2024-05-09", "2024-05-10", "2024-05-20"),
    NL_YEAR(2025, "2025-04-18", "2025-04-21", "2025-04-26", "2025-05-29", "2025-05-30", "2025-06-09"),
    NL_YEAR(2026, "2026-04-03", "2026-04-06", "2026-04-27", "2026-05-14", "2026-05-15", "2026-05-25"),
    NL_YEAR(2027, "2027-03-26", "2027-03-29", "2027-04-27", "2027-05-06", "2027-05-07", "2027-05-17"),
    NL_YEAR(2028, "2028-04-14", "2028-04-17", "2028-04-27", "2028-05-25", "2028-05-26", "2028-06-05"),
    NL_YEAR(2029, "2029-03-30", "2029-04-02", "2029-04-27", "2029-05-10", "2029-05-11", "2029-05-21"),
    NL_YEAR(2030, "2030-04-19", "2030-04-22", "2030-04-27", "2030-05-30", "2030-05-31", "2030-06-10"),
};

TEST(holidays_nl_2024_2030_default_R_TIME_1) {
  calendar_t cal;
  load_nl(&cal, NULL);
  for (size_t i = 0; i < sizeof nl_years / sizeof nl_years[0]; i++)
    check_year(&cal, nl_years[i].year, nl_years[i].days, 8);
}

TEST(holidays_nl_2024_2030_optional_on_R_TIME_1) {
  calendar_t cal;
  load_nl(&cal, "[\"goede_vrijdag\", \"vrijdag_na_hemelvaart\"]");
  for (size_t i = 0; i < sizeof nl_years / sizeof nl_years[0]; i++)
    check_year(&cal, nl_years[i].year, nl_years[i].days, 10);
}

TEST(holidays_nl_one_optional_R_TIME_1) {
  calendar_t cal;
  const char *name = NULL;
  load_nl(&cal, "[\"goede_vrijdag\"]");
  ASSERT(calendar_is_holiday(&cal, day("2027-03-26"), &name));
  ASSERT_STR_EQ(name, "goede_vrijdag");
  ASSERT(!calendar_is_holiday(&cal, day("2027-05-07"), NULL));
  ASSERT(calendar_is_working_day(&cal, day("2027-05-07")));
}

/* Koningsdag moves to the 26th only when the 27th is a Sunday (2014, 2025,
 * 2031); on a Saturday (2024, 2030) it stays. */
TEST(koningsdag_sunday_shift_R_TIME_1) {
  calendar_t cal;
  const char *name = NULL;
  load_nl(&cal, NULL);
  ASSERT(calendar_is_holiday(&cal, day("2014-04-26"), &name));
  ASSERT_STR_EQ(name, "koningsdag");
  ASSERT(!calendar_is_holiday(&cal, day("2014-04-27"), NULL));
  ASSERT(calendar_is_holiday(&cal, day("2025-04-26"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2025-04-27"), NULL));
  ASSERT(calendar_is_holiday(&cal, day("2031-04-26"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2031-04-27"), NULL));
  ASSERT(calendar_is_holiday(&cal, day("2024-04-27"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2024-04-26"), NULL));
  ASSERT(calendar_is_holiday(&cal, day("2030-04-27"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2030-04-26"), NULL));
}

TEST(nl_json_shape_R_TIME_1) {
  calendar_t cal;
  int optional = 0, easter = 0;
  load_nl(&cal, NULL);
  ASSERT_STR_EQ(cal.id, "nl");
  ASSERT_EQ(cal.holidays_count, 10);
  for (int i = 0; i < cal.holidays_count; i++) {
    const cal_holiday_t *h = &cal.holidays[i];
    optional += h->optional;
    easter += h->month == 0;
    ASSERT_EQ(h->enabled, !h->optional);
  }
  ASSERT_EQ(optional, 2);
  ASSERT_EQ(easter, 5); /* Easter-bound days are offsets, never listed dates */
}

/* n-th working day after d (d never counts), crossing each kind of holiday. */
TEST(working_days_nl_default_R_TIME_1) {
  calendar_t cal;
  static const struct {
    const char *from;
    int n;
    const char *want;
  } tab[] = {
      {"2026-01-09", 1, "2026-01-12"}, /* Fri -> Mon: weekend */
      {"2026-01-10", 1, "2026-01-12"}, /* from a Saturday */
      {"2026-01-12", 5, "2026-01-19"}, /* a full week */
      {"2026-01-12", 0, "2026-01-12"},
      {"2026-01-10", 0, "2026-01-10"}, /* n == 0 is d even when d is not a working day */
      {"2027-03-25", 1, "2027-03-26"}, /* Goede Vrijdag is a working day by default */
      {"2027-03-25", 2, "2027-03-30"}, /* Paasmaandag 29 March */
      {"2025-04-17", 1, "2025-04-18"},
      {"2025-04-17", 2, "2025-04-22"},  /* Paasmaandag 21 April */
      {"2026-04-24", 1, "2026-04-28"},  /* Koningsdag Monday 27 April */
      {"2025-04-25", 1, "2025-04-28"},  /* Koningsdag 2025 on Saturday 26th: nothing lost */
      {"2026-05-04", 1, "2026-05-06"},  /* Bevrijdingsdag Tuesday 5 May */
      {"2027-05-04", 1, "2027-05-07"},  /* Bevrijdingsdag Wed 5 May, then Hemelvaart Thu 6 May */
      {"2026-05-13", 1, "2026-05-15"},  /* Hemelvaart Thursday 14 May */
      {"2026-05-13", 10, "2026-05-29"}, /* Hemelvaart and Pinkstermaandag 25 May */
      {"2026-04-02", 20, "2026-05-04"}, /* Paasmaandag and Koningsdag */
      {"2026-12-24", 1, "2026-12-28"},  /* Christmas Fri/Sat, weekend */
      {"2026-12-24", 4, "2026-12-31"},
      {"2026-12-24", 5, "2027-01-04"}, /* Nieuwjaarsdag Friday */
      {"2027-12-24", 1, "2027-12-27"}, /* Christmas on a weekend is not moved */
      {"2027-12-24", 6, "2028-01-03"},
      {"2029-12-31", 1, "2030-01-02"},
      {"2025-12-31", 254, "2026-12-31"}, /* all 254 working days of 2026 */
  };
  load_nl(&cal, NULL);
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    char buf[16];
    cal_day_format(calendar_add_working_days(&cal, day(tab[i].from), tab[i].n), buf, sizeof buf);
    if (strcmp(buf, tab[i].want) != 0)
      TEST__FAIL("%s + %d working days = %s, want %s", tab[i].from, tab[i].n, buf, tab[i].want);
  }
}

TEST(working_days_nl_optional_on_R_TIME_1) {
  calendar_t cal;
  static const struct {
    const char *from;
    int n;
    const char *want;
  } tab[] = {
      {"2027-03-25", 1, "2027-03-30"}, /* Goede Vrijdag and Paasmaandag */
      {"2027-03-25", 2, "2027-03-31"},  {"2025-04-17", 1, "2025-04-22"},
      {"2026-05-13", 1, "2026-05-18"}, /* Hemelvaart and the Friday after */
      {"2026-05-13", 10, "2026-06-01"}, {"2025-12-31", 254, "2027-01-05"}, /* two more days off in 2026 */
  };
  load_nl(&cal, "[\"goede_vrijdag\", \"vrijdag_na_hemelvaart\"]");
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    char buf[16];
    cal_day_format(calendar_add_working_days(&cal, day(tab[i].from), tab[i].n), buf, sizeof buf);
    if (strcmp(buf, tab[i].want) != 0)
      TEST__FAIL("%s + %d working days = %s, want %s", tab[i].from, tab[i].n, buf, tab[i].want);
  }
}

/* The result is always a working day, and exactly n working days lie in (d, result]. */
TEST(working_days_invariant_R_TIME_1) {
  calendar_t cal;
  load_nl(&cal, NULL);
  for (cal_day_t d = day("2024-01-01"); d <= day("2030-12-31"); d += 3) {
    for (int n = 1; n <= 25; n += 6) {
      cal_day_t r = calendar_add_working_days(&cal, d, n);
      int count = 0;
      ASSERT(calendar_is_working_day(&cal, r));
      for (cal_day_t x = d + 1; x <= r; x++) count += calendar_is_working_day(&cal, x);
      ASSERT_EQ(count, n);
    }
  }
}

/* A shifted fixed date or a large Easter offset may fall in the year next
 * to the rule's own; both must still be found. */
TEST(holiday_crosses_new_year_R_TIME_1) {
  calendar_t cal;
  char err[128];
  const char *name = NULL;
  /* 2028-12-31 is a Sunday: moved to Monday 2029-01-01 */
  ASSERT_EQ(load_str(&cal,
                     "{\"id\": \"x\", \"holidays\": ["
                     "{\"name\": \"oudjaar\", \"month\": 12, \"day\": 31, \"sunday_shift\": 1}]}",
                     NULL, err, sizeof err),
            0);
  ASSERT(calendar_is_holiday(&cal, day("2029-01-01"), &name));
  ASSERT_STR_EQ(name, "oudjaar");
  ASSERT(!calendar_is_holiday(&cal, day("2028-12-31"), NULL));
  ASSERT(calendar_is_holiday(&cal, day("2027-12-31"), NULL)); /* a Friday: not moved */
  ASSERT(!calendar_is_holiday(&cal, day("2028-01-01"), NULL));
  /* 2023-01-01 is a Sunday: moved to Friday 2022-12-30 */
  ASSERT_EQ(load_str(&cal,
                     "{\"id\": \"x\", \"holidays\": ["
                     "{\"name\": \"nieuwjaar\", \"month\": 1, \"day\": 1, \"sunday_shift\": -2}]}",
                     NULL, err, sizeof err),
            0);
  ASSERT(calendar_is_holiday(&cal, day("2022-12-30"), &name));
  ASSERT_STR_EQ(name, "nieuwjaar");
  ASSERT(!calendar_is_holiday(&cal, day("2023-01-01"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2023-12-30"), NULL));
  /* Easter 2027 (28 March) + 200 days = 14 October 2027; Easter 2028
   * (16 April) - 200 days = 29 September 2027 */
  ASSERT_EQ(load_str(&cal,
                     "{\"id\": \"x\", \"holidays\": [{\"name\": \"late\", \"easter_offset\": 200},"
                     "{\"name\": \"early\", \"easter_offset\": -200}]}",
                     NULL, err, sizeof err),
            0);
  ASSERT(calendar_is_holiday(&cal, day("2027-10-14"), &name));
  ASSERT_STR_EQ(name, "late");
  ASSERT(calendar_is_holiday(&cal, day("2027-09-29"), &name));
  ASSERT_STR_EQ(name, "early");
  ASSERT(!calendar_is_holiday(&cal, day("2027-10-13"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2027-09-30"), NULL));
}

TEST(load_29_february_only_in_leap_years_R_TIME_1) {
  calendar_t cal;
  char err[128];
  ASSERT_EQ(
      load_str(&cal,
               "{\"id\": \"leap\", \"holidays\": [{\"name\": \"schrikkel\", \"month\": 2, \"day\": 29}]}",
               NULL, err, sizeof err),
      0);
  ASSERT(calendar_is_holiday(&cal, day("2028-02-29"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2027-02-28"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2027-03-01"), NULL));
}

TEST(load_empty_set_and_enable_mandatory) {
  calendar_t cal;
  char err[128];
  ASSERT_EQ(load_str(&cal, "{\"id\": \"none\", \"holidays\": []}", NULL, err, sizeof err), 0);
  ASSERT_EQ(cal.holidays_count, 0);
  ASSERT(calendar_is_working_day(&cal, day("2027-01-01")));
  ASSERT_EQ(calendar_add_working_days(&cal, day("2026-12-31"), 1), day("2027-01-01"));
  /* enabling a holiday that is not optional is allowed and changes nothing */
  load_nl(&cal, "[\"nieuwjaarsdag\"]");
  ASSERT(calendar_is_holiday(&cal, day("2027-01-01"), NULL));
  ASSERT(!calendar_is_holiday(&cal, day("2027-03-26"), NULL));
  load_nl(&cal, "[]");
  ASSERT(!calendar_is_holiday(&cal, day("2027-03-26"), NULL));
}

/* A set of `count` fixed-date holidays h0, h1, ... */
static void many_holidays_doc(char *doc, size_t size, int count) {
  size_t len = (size_t)snprintf(doc, size, "{\"id\": \"max\", \"holidays\": [");
  for (int i = 0; i < count; i++)
    len += (size_t)snprintf(doc + len, size - len, "%s{\"name\": \"h%d\", \"month\": 1, \"day\": %d}",
                            i ? "," : "", i, i % 28 + 1);
  snprintf(doc + len, size - len, "]}");
}

TEST(load_exactly_max_holidays) {
  calendar_t cal;
  char doc[4096], err[128];
  many_holidays_doc(doc, sizeof doc, CAL_HOLIDAYS_MAX + 1);
  ASSERT_EQ(load_str(&cal, doc, NULL, err, sizeof err), CASUS_ECONFIG_INVALID);
  ASSERT(strstr(err, "at most 32") != NULL);
  many_holidays_doc(doc, sizeof doc, CAL_HOLIDAYS_MAX);
  ASSERT_EQ(load_str(&cal, doc, NULL, err, sizeof err), 0);
  ASSERT_EQ(cal.holidays_count, CAL_HOLIDAYS_MAX);
  ASSERT_STR_EQ(cal.holidays[CAL_HOLIDAYS_MAX - 1].name, "h31");
}

/* Every malformed set is refused with CASUS_ECONFIG_INVALID, a reason that
 * names the problem, and a zeroed calendar. */
TEST(load_rejects) {
  static const struct {
    const char *doc, *enable, *reason;
  } tab[] = {
      {"[]", NULL, "JSON object"},
      {"{\"holidays\": []}", NULL, "\"id\""},
      {"{\"id\": 7, \"holidays\": []}", NULL, "\"id\""},
      {"{\"id\": \"\", \"holidays\": []}", NULL, "\"id\""},
      {"{\"id\": \"NL\", \"holidays\": []}", NULL, "\"id\""},
      {"{\"id\": \"a23456789012345678901234567890123456789012345678\", \"holidays\": []}", NULL, "\"id\""},
      {"{\"id\": \"nl\"}", NULL, "\"holidays\" must be an array"},
      {"{\"id\": \"nl\", \"holidays\": {}}", NULL, "\"holidays\" must be an array"},
      {"{\"id\": \"nl\", \"holidays\": [], \"region\": \"x\"}", NULL, "unknown key \"region\""},
      {"{\"id\": \"nl\", \"holidays\": [1]}", NULL, "holidays[0]: must be an object"},
      {"{\"id\": \"nl\", \"holidays\": [{\"month\": 1, \"day\": 1}]}", NULL, "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": 1, \"month\": 1, \"day\": 1}]}", NULL, "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"\", \"month\": 1, \"day\": 1}]}", NULL, "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"Nieuw jaar\", \"month\": 1, \"day\": 1}]}", NULL,
       "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\\u0000b\", \"month\": 1, \"day\": 1}]}", NULL,
       "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a23456789012345678901234567890123456789012345678\", "
       "\"month\": 1, \"day\": 1}]}",
       NULL, "\"name\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 1, \"mont\": 2}]}", NULL,
       "unknown key \"mont\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 0, \"day\": 1}]}", NULL, "\"month\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 13, \"day\": 1}]}", NULL, "\"month\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": \"1\", \"day\": 1}]}", NULL,
       "\"month\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1.0, \"day\": 1}]}", NULL, "\"month\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 0}]}", NULL, "\"day\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 32}]}", NULL, "\"day\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 4, \"day\": 31}]}", NULL, "no day 31"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 2, \"day\": 30}]}", NULL, "no day 30"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1}]}", NULL,
       "needs \"month\" and \"day\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"day\": 1}]}", NULL,
       "needs \"month\" and \"day\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\"}]}", NULL, "needs \"month\" and \"day\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"sunday_shift\": 1}]}", NULL, "needs \"month\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 1, \"easter_offset\": 1}]}",
       NULL, "excludes"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1, \"sunday_shift\": 1}]}", NULL,
       "excludes"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 1, \"sunday_shift\": 7}]}",
       NULL, "\"sunday_shift\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"month\": 1, \"day\": 1, \"sunday_shift\": -7}]}",
       NULL, "\"sunday_shift\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 201}]}", NULL,
       "\"easter_offset\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": -201}]}", NULL,
       "\"easter_offset\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 4294967297}]}", NULL,
       "\"easter_offset\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1, \"optional\": 1}]}", NULL,
       "\"optional\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1, \"optional\": null}]}", NULL,
       "\"optional\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1},"
       "{\"name\": \"a\", \"month\": 1, \"day\": 1}]}",
       NULL, "twice"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1}]}", "{}", "array"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1}]}", "\"a\"", "array"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1}]}", "[1]",
       "must be a string"},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1}]}", "[\"a\", \"b\"]",
       "no holiday \"b\""},
      {"{\"id\": \"nl\", \"holidays\": [{\"name\": \"a\", \"easter_offset\": 1}]}", "[\"a\\u0000\"]",
       "no holiday"},
  };
  static const calendar_t zero;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    calendar_t cal;
    char err[256] = "";
    int rc = load_str(&cal, tab[i].doc, tab[i].enable, err, sizeof err);
    if (rc != CASUS_ECONFIG_INVALID) TEST__FAIL("case %zu: rc %d for %s", i, rc, tab[i].doc);
    if (strstr(err, tab[i].reason) == NULL)
      TEST__FAIL("case %zu: reason \"%s\" lacks \"%s\"", i, err, tab[i].reason);
    ASSERT(memcmp(&cal, &zero, sizeof cal) == 0);
  }
}

/* err may be NULL or tiny; the message is cut, never overrun. */
TEST(load_err_buffer) {
  calendar_t cal;
  char tiny[8];
  memset(tiny, 'x', sizeof tiny);
  ASSERT_EQ(load_str(&cal, "[]", NULL, NULL, 0), CASUS_ECONFIG_INVALID);
  ASSERT_EQ(load_str(&cal, "[]", NULL, tiny, 5), CASUS_ECONFIG_INVALID);
  ASSERT_EQ(strlen(tiny), 4);
  ASSERT_EQ(tiny[5], 'x');
  ASSERT_EQ(load_str(&cal, "{\"id\": \"ok\", \"holidays\": []}", NULL, tiny, sizeof tiny), 0);
  ASSERT_STR_EQ(tiny, ""); /* cleared on success */
}

#define TEST_LIST(X)                              \
  X(day_epoch_anchors)                            \
  X(day_ymd_round_trip_1900_2100)                 \
  X(weekday_iso)                                  \
  X(day_parse_accepts)                            \
  X(day_parse_rejects)                            \
  X(day_format)                                   \
  X(easter_computed_R_TIME_1)                     \
  X(easter_range_1583_3000)                       \
  X(add_months_clamps_R_TIME_2)                   \
  X(dst_switches_2024_2030_R_TIME_2)              \
  X(dst_2027_spring_forward_R_TIME_2)             \
  X(dst_2027_fall_back_R_TIME_2)                  \
  X(local_midnight_every_day_2024_2030_R_TIME_2)  \
  X(week_across_dst_is_calendar_based_R_TIME_2)   \
  X(time_parse_accepts)                           \
  X(time_parse_rejects)                           \
  X(date_range_bounds)                            \
  X(time_format)                                  \
  X(time_round_trip)                              \
  X(holidays_nl_2024_2030_default_R_TIME_1)       \
  X(holidays_nl_2024_2030_optional_on_R_TIME_1)   \
  X(holidays_nl_one_optional_R_TIME_1)            \
  X(koningsdag_sunday_shift_R_TIME_1)             \
  X(nl_json_shape_R_TIME_1)                       \
  X(working_days_nl_default_R_TIME_1)             \
  X(working_days_nl_optional_on_R_TIME_1)         \
  X(working_days_invariant_R_TIME_1)              \
  X(holiday_crosses_new_year_R_TIME_1)            \
  X(load_29_february_only_in_leap_years_R_TIME_1) \
  X(load_empty_set_and_enable_mandatory)          \
  X(load_exactly_max_holidays)                    \
  X(load_rejects)                                 \
  X(load_err_buffer)

TEST_MAIN(TEST_LIST)
