/*
 * Business time for SLAs: durations, working hours, and the walk from a
 * start through working time, holidays and pauses to a due time.  Local
 * times are converted with the C library in the calendar's zone: TZ is
 * set for the walk and put back after it, so that mktime() applies the
 * zone's rules, daylight saving time included (a working day across a
 * change is an hour shorter or longer, as the clock on the wall says).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "crm_sla.h"
#include "crm_util.h"

_Static_assert(sizeof(time_t) >= 8, "time_t must hold CRM_SLA_NEVER");

#define MAXRANGES	8	/* ranges a weekday */
/* Days searched for working time. */
#define HORIZON		(10 * 366)

struct range {
	int	from, to;	/* minutes of the day, to <= 1440 */
};

struct crm_sla_cal {
	char		*tz;
	struct range	 day[7][MAXRANGES]; /* by tm_wday, Sunday 0 */
	int		 n[7];
	char		(*hol)[11];		/* sorted "YYYY-MM-DD" */
	size_t		 nhol;
};

const char *const crm_sla_targets[] = {
	"first_response", "next_response", "resolution", NULL
};

#define DUR_MAX	(100000L * 7 * 86400)	/* seconds in a duration */

int
crm_sla_duration_parse(const char *s, long *secs)
{
	long total = 0, n, unit;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = strtol(s, &end, 10);
		switch (*end) {
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return -1;
		}
		/* The cap is on the total (100000 weeks), not on each term:
		 * what crm_sla_duration_format() writes ("700000d") must
		 * read back. */
		if (n > DUR_MAX / unit || total > DUR_MAX - n * unit)
			return -1;
		total += n * unit;
		s = end + 1;
	}
	if (total <= 0)
		return -1;
	*secs = total;
	return 0;
}

void
crm_sla_duration_format(long secs, char *buf, size_t len)
{
	static const struct { long unit; char c; } u[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }
	};
	size_t i, off = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < 3 && off < len; i++) {
		if (secs / u[i].unit == 0)
			continue;
		k = snprintf(buf + off, len - off, "%ld%c", secs / u[i].unit,
		    u[i].c);
		off += k > 0 ? (size_t)k : 0;
		secs %= u[i].unit;
	}
}

/* A zone name as the C library finds it: a file under the zoneinfo. */
static int
zone_ok(const char *tz)
{
	const char *dir = getenv("TZDIR");
	struct crm_buf path = CRM_BUF_INIT;
	struct stat sb;
	const char *p;
	int ok;

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL)
		return 0;
	for (p = tz; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return 0;
	crm_buf_addf(&path, "%s/%s", dir && *dir ? dir :
	    "/usr/share/zoneinfo", tz);
	ok = stat(path.buf, &sb) == 0 && S_ISREG(sb.st_mode);
	crm_buf_release(&path);
	return ok;
}

static int
weekday(const char *s, size_t *len)
{
	static const char *const names[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	int i;

	for (i = 0; i < 7; i++)
		if (strncasecmp(s, names[i], 3) == 0) {
			*len = 3;
			return i;
		}
	return -1;
}

/* "HH:MM" at s into minutes; -1 when it is not a time of day. */
static int
clock_time(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	return ((s[0] - '0') * 10 + s[1] - '0') * 60 +
	    (s[3] - '0') * 10 + s[4] - '0';
}

struct hparse {
	const char		*src;
	size_t			 i;
	struct crm_error	*err;
};

static int
hfail(struct hparse *h, const char *what)
{
	char got[16];
	size_t n = strcspn(h->src + h->i, " ,;-");

	if (h->err != NULL)
		return -1;
	if (h->src[h->i] == '\0')
		h->err = crm_error_new(CRM_EXIT_USAGE, "column %zu: expected "
		    "%s, got the end", h->i + 1, what);
	else {
		snprintf(got, sizeof(got), "%.*s", (int)(n ? n : 1),
		    h->src + h->i);
		h->err = crm_error_new(CRM_EXIT_USAGE, "column %zu: expected "
		    "%s, got \"%s\"", h->i + 1, what, got);
	}
	return -1;
}

/* "Mon-Fri,Sun" into the bits of days. */
static int
parse_days(struct hparse *h, int *days)
{
	size_t len;
	int a, b;

	*days = 0;
	for (;;) {
		if ((a = weekday(h->src + h->i, &len)) < 0)
			return hfail(h, "a day (Mon to Sun)");
		h->i += len;
		b = a;
		if (h->src[h->i] == '-') {
			h->i++;
			if ((b = weekday(h->src + h->i, &len)) < 0)
				return hfail(h, "a day (Mon to Sun)");
			h->i += len;
		}
		for (;; a = (a + 1) % 7) {
			*days |= 1 << a;
			if (a == b)
				break;
		}
		if (h->src[h->i] != ',')
			return 0;
		h->i++;
	}
}

/* "09:00-12:00,13:00-17:00" for the days in bits. */
static int
parse_ranges(struct hparse *h, struct crm_sla_cal *cal, int days)
{
	struct range r;
	int d;

	for (;;) {
		if ((r.from = clock_time(h->src + h->i)) < 0 || r.from >= 1440)
			return hfail(h, "a time (HH:MM)");
		h->i += 5;
		if (h->src[h->i] != '-')
			return hfail(h, "\"-\"");
		h->i++;
		if ((r.to = clock_time(h->src + h->i)) < 0 || r.to > 1440 ||
		    r.to <= r.from)
			return hfail(h, "a later time (HH:MM, 24:00 at most)");
		h->i += 5;
		for (d = 0; d < 7; d++) {
			if (!(days & (1 << d)))
				continue;
			if (cal->n[d] == MAXRANGES || (cal->n[d] > 0 &&
			    cal->day[d][cal->n[d] - 1].to > r.from))
				return hfail(h, "ranges in order, not "
				    "overlapping");
			cal->day[d][cal->n[d]++] = r;
		}
		if (h->src[h->i] != ',')
			return 0;
		h->i++;
	}
}

static int
parse_hours(struct hparse *h, struct crm_sla_cal *cal)
{
	int days;

	for (;;) {
		h->i += strspn(h->src + h->i, " \t");
		if (parse_days(h, &days) != 0)
			return -1;
		if (h->src[h->i] != ' ' && h->src[h->i] != '\t')
			return hfail(h, "a space after the days");
		h->i += strspn(h->src + h->i, " \t");
		if (parse_ranges(h, cal, days) != 0)
			return -1;
		h->i += strspn(h->src + h->i, " \t");
		if (h->src[h->i] == '\0')
			return 0;
		if (h->src[h->i] != ';')
			return hfail(h, "\";\" or the end");
		h->i++;
	}
}

struct crm_error *
crm_sla_cal_new(const char *tz, const char *hours, struct crm_sla_cal **out)
{
	struct crm_sla_cal *cal;
	struct hparse h = { hours, 0, NULL };

	*out = NULL;
	if (!zone_ok(tz))
		return crm_error_new(CRM_EXIT_USAGE, "--tz: unknown time zone "
		    "\"%s\" (use a name such as Europe/Berlin)", tz);
	cal = crm_xcalloc(1, sizeof(*cal));
	cal->tz = crm_xstrdup(tz);
	if (parse_hours(&h, cal) != 0) {
		crm_sla_cal_free(cal);
		return crm_error_prefix(h.err, "--hours");
	}
	*out = cal;
	return NULL;
}

static int
cmp_day(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
crm_sla_cal_holiday(struct crm_sla_cal *cal, const char *day)
{
	char t[CRM_TIME_LEN];
	int is_day = 0;

	if (strlen(day) != 10 || crm_time_parse(day, t, &is_day) != 0 ||
	    !is_day)
		return -1;
	cal->hol = crm_xrealloc(cal->hol, (cal->nhol + 1) * sizeof(*cal->hol));
	memcpy(cal->hol[cal->nhol++], day, 11);
	qsort(cal->hol, cal->nhol, sizeof(*cal->hol), cmp_day);
	return 0;
}

void
crm_sla_cal_free(struct crm_sla_cal *cal)
{
	if (cal == NULL)
		return;
	free(cal->tz);
	free(cal->hol);
	free(cal);
}

/* Set TZ to tz; *saved (the caller frees it) to put back with zone_leave. */
static void
zone_enter(const char *tz, char **saved)
{
	const char *old = getenv("TZ");

	*saved = old != NULL ? crm_xstrdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void
zone_leave(char *saved)
{
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* The instant of minute min of local day tm (noon-normalised). */
static time_t
local_at(const struct tm *day, int min)
{
	struct tm tm = *day;

	tm.tm_hour = min / 60;
	tm.tm_min = min % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/*
 * The next stretch of working time [*a, *b) that ends after t, clipped
 * to start at t; -1 when there is none within HORIZON days.
 */
static int
next_work(const struct crm_sla_cal *cal, time_t t, time_t *a, time_t *b)
{
	struct tm day;
	char key[40];
	int i, k, w;

	localtime_r(&t, &day);
	day.tm_hour = 12;
	day.tm_min = day.tm_sec = 0;
	day.tm_isdst = -1;
	for (i = 0; i < HORIZON; i++, day.tm_mday++) {
		/* mktime normalises the date and gives its weekday. */
		day.tm_hour = 12;
		day.tm_isdst = -1;
		mktime(&day);
		w = day.tm_wday;
		snprintf(key, sizeof(key), "%04d-%02d-%02d",
		    day.tm_year + 1900, day.tm_mon + 1, day.tm_mday);
		if (cal->n[w] == 0 || (cal->nhol > 0 && bsearch(key,
		    cal->hol, cal->nhol, sizeof(*cal->hol), cmp_day)))
			continue;
		for (k = 0; k < cal->n[w]; k++) {
			*a = local_at(&day, cal->day[w][k].from);
			*b = local_at(&day, cal->day[w][k].to);
			if (*b > t) {
				if (*a < t)
					*a = t;
				return 0;
			}
		}
	}
	return -1;
}

#define FAR	((time_t)100 * 366 * 86400)	/* a century, about */

/*
 * Walk working time from start through the pauses until secs have
 * passed; see crm_sla_due.
 */
static int
walk(const struct crm_sla_cal *cal, time_t t, long secs,
    const struct crm_sla_span *p, size_t n, time_t *due)
{
	time_t a, b, x, far = t + FAR;
	size_t i = 0;

	for (;;) {
		/* A calendar of a few minutes a week and a target of many
		 * weeks: a walk of ages, day by day.  Never, in effect. */
		if (cal != NULL && t >= far) {
			*due = CRM_SLA_NEVER;
			return 0;
		}
		if (cal == NULL)
			a = t, b = CRM_SLA_NEVER;
		else if (next_work(cal, t, &a, &b) != 0)
			return -1;
		while (i < n && p[i].end <= a)
			i++;
		if (i < n && p[i].start <= a) {
			/* Paused at the start of the stretch: skip past. */
			if ((t = p[i].end) >= CRM_SLA_NEVER) {
				*due = CRM_SLA_NEVER;
				return 0;
			}
			continue;
		}
		x = i < n && p[i].start < b ? p[i].start : b;
		if (x - a >= secs) {
			*due = a + secs;
			return 0;
		}
		secs -= (long)(x - a);
		t = x;
	}
}

struct crm_error *
crm_sla_due(const struct crm_sla_cal *cal, time_t start, long secs,
    const struct crm_sla_span *pauses, size_t n, time_t *due)
{
	char *saved = NULL;
	int rc;

	if (cal != NULL)
		zone_enter(cal->tz, &saved);
	rc = walk(cal, start, secs, pauses, n, due);
	if (cal != NULL)
		zone_leave(saved);
	if (rc != 0)
		return crm_error_new(CRM_EXIT_FAIL, "calendar in %s: no "
		    "working time in ten years", cal->tz);
	return NULL;
}

/*
 * Sum the stretches of working time from t to end that no pause covers.
 * Past the horizon of next_work() there is no working time to count.
 */
static long
count(const struct crm_sla_cal *cal, time_t t, time_t end,
    const struct crm_sla_span *p, size_t n)
{
	time_t a, b, x;
	long secs = 0;
	size_t i = 0;

	while (t < end) {
		if (cal == NULL)
			a = t, b = end;
		else if (next_work(cal, t, &a, &b) != 0 || a >= end)
			break;
		if (b > end)
			b = end;
		while (i < n && p[i].end <= a)
			i++;
		if (i < n && p[i].start <= a) {
			/* Paused at the start of the stretch: skip past. */
			t = p[i].end;
			continue;
		}
		x = i < n && p[i].start < b ? p[i].start : b;
		secs += (long)(x - a);
		t = x;
	}
	return secs;
}

void
crm_sla_elapsed(const struct crm_sla_cal *cal, struct crm_sla_took *t,
    size_t n)
{
	char *saved = NULL;
	size_t i;

	if (cal != NULL)
		zone_enter(cal->tz, &saved);
	for (i = 0; i < n; i++)
		t[i].secs = count(cal, t[i].start, t[i].end, t[i].pauses,
		    t[i].n);
	if (cal != NULL)
		zone_leave(saved);
}

int
crm_sla_time(const char *iso, time_t *t)
{
	struct tm tm;
	int n = 0;

	if (iso == NULL) {
		*t = CRM_SLA_NEVER;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*t = timegm(&tm);
	return 0;
}
