/*
 * SLA business time: durations, working hours, the walk to a due time
 * across nights, weekends, holidays, daylight saving time changes and
 * pauses, and back from two times to the working time between them;
 * then the due times of a ticket through the library, the next
 * response to a customer's comment and a pending pause included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_sla.h"
#include "crm_ticket.h"
#include "crm_util.h"
#include "tap.h"

static time_t
at(const char *iso)
{
	time_t t = 0;

	if (crm_sla_time(iso, &t) != 0)
		printf("# bad time %s\n", iso);
	return t;
}

/* The due time as text: "never", "error", or the ISO time. */
static const char *
due(const char *tz, const char *hours, const char *const *hol,
    const char *start, const char *dur, const struct crm_sla_span *p,
    size_t n)
{
	static char buf[CRM_TIME_LEN + 8];
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	long secs = 0;
	time_t t;

	if (hours != NULL && (err = crm_sla_cal_new(tz, hours, &cal)) !=
	    NULL) {
		snprintf(buf, sizeof(buf), "error");
		crm_error_free(err);
		return buf;
	}
	for (; hol != NULL && *hol != NULL; hol++)
		crm_sla_cal_holiday(cal, *hol);
	crm_sla_duration_parse(dur, &secs);
	if ((err = crm_sla_due(cal, at(start), secs, p, n, &t)) != NULL)
		snprintf(buf, sizeof(buf), "error");
	else if (t == CRM_SLA_NEVER)
		snprintf(buf, sizeof(buf), "never");
	else
		crm_time_format(t, buf);
	crm_error_free(err);
	crm_sla_cal_free(cal);
	return buf;
}

static void
durations(void)
{
	char buf[32];
	long s = 0;

	ok(crm_sla_duration_parse("4h", &s) == 0 && s == 14400, "4h");
	ok(crm_sla_duration_parse("1h30m", &s) == 0 && s == 5400, "1h30m");
	ok(crm_sla_duration_parse("2d", &s) == 0 && s == 172800, "2d");
	ok(crm_sla_duration_parse("1w", &s) == 0 && s == 604800, "1w");
	ok(crm_sla_duration_parse("4", &s) != 0, "a unit is needed");
	ok(crm_sla_duration_parse("0m", &s) != 0, "zero is no target");
	ok(crm_sla_duration_parse("h", &s) != 0, "a number is needed");
	ok(crm_sla_duration_parse("-1h", &s) != 0, "no negative");
	crm_sla_duration_format(93600 + 1800, buf, sizeof(buf));
	is_str(buf, "1d2h30m", "formatted back");
	/* Found by tests/fuzz/sla_fuzz.c: 50232w printed as 351624d,
	 * which did not read back. */
	ok(crm_sla_duration_parse("50232w", &s) == 0, "50232w");
	crm_sla_duration_format(s, buf, sizeof(buf));
	ok(crm_sla_duration_parse(buf, &s) == 0 && s == 50232L * 604800,
	    "%s reads back", buf);
	ok(crm_sla_duration_parse("100001w", &s) != 0, "past 100000 weeks");
}

static void
hours(void)
{
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;

	err = crm_sla_cal_new("Europe/Berlin", "Mon-Thu 08:00-12:00,13:00-"
	    "17:00; Fri 08:00-13:00", &cal);
	ok(err == NULL, "split days and a short Friday");
	crm_sla_cal_free(cal);
	err = crm_sla_cal_new("Europe/Berlin", "Mox 09:00-17:00", &cal);
	is_str(err ? err->msg : "", "--hours: column 1: expected a day (Mon "
	    "to Sun), got \"Mox\"", "a bad day");
	crm_error_free(err);
	err = crm_sla_cal_new("Europe/Berlin", "Mon 17:00-09:00", &cal);
	is_str(err ? err->msg : "", "--hours: column 11: expected a later "
	    "time (HH:MM, 24:00 at most), got \"09:00\"", "backwards");
	crm_error_free(err);
	err = crm_sla_cal_new("UTC", "Mon-Fri", &cal);
	is_str(err ? err->msg : "", "--hours: column 8: expected a space "
	    "after the days, got the end", "no hours");
	crm_error_free(err);
	err = crm_sla_cal_new("Europe/Berlin", "Mon 09:00-12:00,11:00-13:00",
	    &cal);
	ok(err != NULL && err->code == CRM_EXIT_USAGE, "overlapping ranges");
	crm_error_free(err);
	err = crm_sla_cal_new("Mars/Olympus", "Mon 09:00-17:00", &cal);
	is_str(err ? err->msg : "", "--tz: unknown time zone "
	    "\"Mars/Olympus\" (use a name such as Europe/Berlin)",
	    "an unknown zone");
	crm_error_free(err);
	err = crm_sla_cal_new("../etc/passwd", "Mon 09:00-17:00", &cal);
	ok(err != NULL, "no path tricks in a zone");
	crm_error_free(err);
}

static void
walks(void)
{
	static const char *const xmas[] = { "2026-12-24", "2026-12-25", NULL };
	static const char *const all[] = { "2026-11-23", NULL };
	const char *bh = "Mon-Fri 09:00-17:00", *be = "Europe/Berlin";
	struct crm_sla_span p[2];

	is_str(due(NULL, NULL, NULL, "2026-11-20T08:00:00Z", "4h", NULL, 0),
	    "2026-11-20T12:00:00Z", "24x7: wall-clock time");
	is_str(due(be, bh, NULL, "2026-11-20T15:00:00Z", "2h", NULL, 0),
	    "2026-11-23T09:00:00Z", "Friday 16:00 + 2h: Monday 10:00");
	is_str(due(be, bh, NULL, "2026-11-21T10:00:00Z", "1h", NULL, 0),
	    "2026-11-23T09:00:00Z", "started on a Saturday: Monday 10:00");
	is_str(due(be, bh, all, "2026-11-20T15:00:00Z", "2h", NULL, 0),
	    "2026-11-24T09:00:00Z", "a Monday holiday: Tuesday 10:00");
	is_str(due(be, bh, xmas, "2026-12-23T15:00:00Z", "3h", NULL, 0),
	    "2026-12-28T10:00:00Z", "over Christmas to Monday");
	is_str(due(be, bh, NULL, "2026-11-20T08:00:00Z", "2d", NULL, 0),
	    "2026-11-27T16:00:00Z", "2d is 48 working hours: six days");
	is_str(due(be, bh, NULL, "2026-10-23T14:00:00Z", "2h", NULL, 0),
	    "2026-10-26T09:00:00Z", "over the end of summer time");
	is_str(due(be, bh, NULL, "2026-03-27T15:00:00Z", "2h", NULL, 0),
	    "2026-03-30T08:00:00Z", "over the start of summer time");
	is_str(due(be, "Mon-Sun 00:00-24:00", NULL, "2026-03-28T23:00:00Z",
	    "1d", NULL, 0), "2026-03-29T23:00:00Z",
	    "a 23-hour Sunday is one day of 24 hours and a bit of Monday");
	is_str(due(be, "Mon-Sun 01:00-04:00", NULL, "2026-03-29T00:00:00Z",
	    "3h", NULL, 0), "2026-03-30T00:00:00Z",
	    "02:00 to 03:00 does not exist on the day summer time starts");
	is_str(due("America/New_York", "Mon-Sun 09:00-17:00", NULL,
	    "2026-10-31T13:00:00Z", "16h", NULL, 0), "2026-11-01T22:00:00Z",
	    "New York: 17:00 on the day summer time ends");
	is_str(due("UTC", "Sat 10:00-11:00", NULL, "2026-11-20T08:00:00Z",
	    "2h", NULL, 0), "2026-11-28T11:00:00Z", "one hour a week");
	is_str(due("UTC", "Mon 10:00-11:00", all, "2026-11-23T00:00:00Z",
	    "30m", NULL, 0), "2026-11-30T10:30:00Z", "minutes");

	p[0].start = at("2026-11-20T09:00:00Z");
	p[0].end = at("2026-11-20T11:00:00Z");
	is_str(due(NULL, NULL, NULL, "2026-11-20T08:00:00Z", "4h", p, 1),
	    "2026-11-20T14:00:00Z", "24x7: a pause of 2h moves it by 2h");
	is_str(due(be, bh, NULL, "2026-11-20T08:00:00Z", "4h", p, 1),
	    "2026-11-20T14:00:00Z", "working hours: the same");
	p[1].start = at("2026-11-20T15:00:00Z");
	p[1].end = at("2026-11-24T09:00:00Z");
	is_str(due(be, bh, NULL, "2026-11-20T08:00:00Z", "8h", p, 2),
	    "2026-11-24T12:00:00Z", "pending over the weekend");
	p[1].end = CRM_SLA_NEVER;
	is_str(due(be, bh, NULL, "2026-11-20T08:00:00Z", "8h", p, 2),
	    "never", "still pending: no due time");
	is_str(due(be, bh, NULL, "2026-11-20T08:00:00Z", "3h", p, 2),
	    "2026-11-20T13:00:00Z", "past due before the pause: a due time");
	p[0].start = at("2026-11-20T07:00:00Z");
	is_str(due(NULL, NULL, NULL, "2026-11-20T08:00:00Z", "1h", p, 1),
	    "2026-11-20T12:00:00Z", "paused when the clock starts");

	unsetenv("TZ");
	due(be, bh, NULL, "2026-11-20T08:00:00Z", "1h", NULL, 0);
	ok(getenv("TZ") == NULL, "TZ unset again after a walk");
	setenv("TZ", "Asia/Tokyo", 1);
	due(be, bh, NULL, "2026-11-20T08:00:00Z", "1h", NULL, 0);
	is_str(getenv("TZ"), "Asia/Tokyo", "TZ put back after a walk");
	unsetenv("TZ");
	/* Found by tests/fuzz/sla_fuzz.c: 12 minutes a week and a target
	 * of many weeks walked for ages, day by day. */
	is_str(due(be, "Sun 23:48-24:00", NULL, "2026-11-22T12:00:00Z",
	    "1h", NULL, 0), "2026-12-20T23:00:00Z", "12 minutes a week: 1h");
	is_str(due(be, "Sun 23:48-24:00", NULL, "2026-11-22T12:00:00Z",
	    "100000w", NULL, 0), "never", "a century away is never");
}

static const char *
field(struct crm_db *db, sqlite3_int64 id, const char *name)
{
	static char buf[100];
	struct crm_error *err;
	cJSON *rec, *v;

	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL) {
		crm_error_free(err);
		return "error";
	}
	v = cJSON_GetObjectItem(rec, name);
	if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(buf, sizeof(buf), "%s", cJSON_IsTrue(v) ? "true" :
		    "false");
	else
		snprintf(buf, sizeof(buf), "null");
	cJSON_Delete(rec);
	return buf;
}

static int
run(struct crm_error *err)
{
	if (err != NULL)
		printf("# %s\n", err->msg);
	crm_error_free(err);
	return err == NULL;
}

static void
ticket(struct crm_db *db)
{
	struct crm_sla_change c = { "high", NULL, { 3600, 1800, 86400 },
	    NULL };
	struct crm_ticket_new t = { "ada@example.org", "Printer", "It burns",
	    "high", NULL, NULL, NULL, NULL };
	struct crm_ticket_note customer = { "still burning", 0, 1, NULL };
	sqlite3_int64 id = 0;

	setenv("CRM_NOW", "2026-11-20T08:00:00Z", 1);
	ok(run(crm_sla_set(db, &c, NULL)), "a policy for high, 24x7");
	ok(run(crm_ticket_open(db, &t, &id)), "open");
	is_str(field(db, id, "first_response_due"), "2026-11-20T09:00:00Z",
	    "first response in 1h");
	is_str(field(db, id, "next_response_due"), "null",
	    "no next response before the first");
	is_str(field(db, id, "due"), "2026-11-20T09:00:00Z",
	    "due: the earliest");
	setenv("CRM_NOW", "2026-11-20T08:30:00Z", 1);
	ok(run(crm_ticket_comment(db, id, "on it", 0, NULL)), "a reply");
	is_str(field(db, id, "due"), "2026-11-21T08:00:00Z",
	    "due: now the resolution");
	setenv("CRM_NOW", "2026-11-20T10:00:00Z", 1);
	ok(run(crm_ticket_note(db, id, &customer, NULL)), "the customer");
	is_str(field(db, id, "next_response_due"), "2026-11-20T10:30:00Z",
	    "the next response: 30m after the customer");
	setenv("CRM_NOW", "2026-11-20T11:00:00Z", 1);
	is_str(field(db, id, "breached"), "true", "breached at 11:00");
	ok(run(crm_ticket_comment(db, id, "sorry", 0, NULL)), "late reply");
	is_str(field(db, id, "next_response_at"), "2026-11-20T11:00:00Z",
	    "met at 11:00");
	is_str(field(db, id, "breached"), "true", "still breached: late");
	ok(run(crm_ticket_status(db, id, "pending", NULL)), "pending");
	is_str(field(db, id, "resolution_due"), "null", "paused: no due");
	setenv("CRM_NOW", "2026-11-20T15:00:00Z", 1);
	ok(run(crm_ticket_status(db, id, "open", NULL)), "open again");
	is_str(field(db, id, "resolution_due"), "2026-11-21T12:00:00Z",
	    "4h later than it was");
	c.secs[CRM_SLA_RESOLUTION] = 7200;
	ok(run(crm_sla_set(db, &c, NULL)), "a tighter policy");
	is_str(field(db, id, "resolution_due"), "2026-11-20T10:00:00Z",
	    "recomputed: 2h of running clock, from 08:00");
	c.queue = "billing";
	c.secs[CRM_SLA_FIRST] = 600;
	c.secs[CRM_SLA_NEXT] = c.secs[CRM_SLA_RESOLUTION] = 0;
	ok(run(crm_sla_set(db, &c, NULL)), "a policy for billing");
	is_str(field(db, id, "first_response_due"), "2026-11-20T09:00:00Z",
	    "not yet: the ticket has no queue");
	ok(run(crm_ticket_queue(db, id, "billing", NULL)), "to billing");
	is_str(field(db, id, "first_response_due"), "2026-11-20T08:10:00Z",
	    "the queue's policy wins");
	is_str(field(db, id, "resolution_due"), "null",
	    "and has no resolution target");
	ok(run(crm_ticket_priority(db, id, "low", NULL)), "priority low");
	is_str(field(db, id, "due"), "null", "no policy for low: no due");
	is_str(field(db, id, "breached"), "false", "nor a breach");
	is_str(field(db, id, "priority"), "low", "stored");
}

/* The working seconds from start to end under hours in tz (NULL: all). */
static long
took(const char *tz, const char *hours, const char *start, const char *end,
    const struct crm_sla_span *p, size_t n)
{
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	struct crm_sla_took t = { at(start), at(end), p, n, -1 };

	if (hours != NULL && (err = crm_sla_cal_new(tz, hours, &cal)) !=
	    NULL) {
		crm_error_free(err);
		return -2;
	}
	crm_sla_elapsed(cal, &t, 1);
	crm_sla_cal_free(cal);
	return t.secs;
}

/* crm_sla_elapsed(), and that it undoes crm_sla_due(). */
static void
elapsed(void)
{
	static const char *const ends[] = { "2026-03-30T10:00:00Z",
		"2026-03-27T15:00:00Z", "2026-04-02T05:00:00Z", NULL };
	const char *office = "Mon-Fri 09:00-17:00";
	struct crm_sla_span p = { at("2026-11-21T09:00:00Z"),
		at("2026-11-21T13:00:00Z") };
	struct crm_sla_cal *cal = NULL;
	struct crm_error *err;
	struct crm_sla_took t[3];
	time_t due = 0;
	int i;

	is_int(took("UTC", office, "2026-11-20T16:00:00Z",
	    "2026-11-23T10:00:00Z", NULL, 0), 7200,
	    "Friday 16:00 to Monday 10:00: two office hours");
	is_int(took(NULL, NULL, "2026-11-21T08:00:00Z", "2026-11-21T14:00:00Z",
	    &p, 1), 7200, "wall clock, a 4 h pause left out");
	is_int(took(NULL, NULL, "2026-11-21T10:00:00Z", "2026-11-21T09:00:00Z",
	    NULL, 0), 0, "an end before the start is nothing");
	is_int(took("UTC", office, "2026-11-21T10:00:00Z",
	    "2026-11-22T20:00:00Z", NULL, 0), 0, "a weekend is nothing");
	/* Berlin goes to summer time on Sunday 29 March 2026. */
	err = crm_sla_cal_new("Europe/Berlin", office, &cal);
	ok(err == NULL, "a Berlin calendar");
	for (i = 0; cal != NULL && ends[i] != NULL; i++)
		t[i] = (struct crm_sla_took){ at("2026-03-26T12:00:00Z"),
		    at(ends[i]), NULL, 0, -1 };
	if (cal != NULL) {
		crm_sla_elapsed(cal, t, 3);
		is_int(t[0].secs, 4 * 3600 + 8 * 3600 + 3 * 3600,
		    "Thursday 13:00 CET to Monday 12:00 CEST");
		err = crm_sla_due(cal, t[1].start, t[1].secs, NULL, 0, &due);
		ok(err == NULL && due == t[1].end, "due undoes elapsed");
		crm_error_free(err);
		err = crm_sla_due(cal, t[2].start, t[2].secs, NULL, 0, &due);
		/* 07:00 on Thursday: the time counted ended on Wednesday. */
		ok(err == NULL && due == at("2026-04-01T15:00:00Z"),
		    "before working hours: due when work stopped");
		crm_error_free(err);
	}
	crm_sla_cal_free(cal);
}

int
main(void)
{
	char path[] = "/tmp/sla_test.XXXXXX";
	struct crm_db *db = NULL;
	int fd;

	durations();
	hours();
	walks();
	elapsed();
	setenv("CRM_USER", "tester", 1);
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	is_int(crm_db_open(path, CRM_DB_WRITE, &db) == NULL, 1,
	    "open a database");
	if (db != NULL)
		ticket(db);
	crm_db_close(db);
	unlink(path);
	return done_testing();
}
