/*
 * Service level agreements for tickets (crm-ticket(1), SLA): policies per
 * priority, optionally per queue, with first response, next response and
 * resolution targets, counted in the working time of a business calendar
 * (working hours per weekday, an IANA time zone, holidays) or, with no
 * calendar, in wall-clock time.  Owns the tables sla_calendars,
 * sla_holidays, sla_policies, sla_pauses and sla_escalations; the due
 * times themselves are ticket columns, written by lib/ticket_sla.c.
 *
 * Durations are sums of a number and a unit: "30m", "4h", "2d", "1w",
 * "1h30m"; m is 60 seconds, h 3600, d 24 hours and w 7 days of counted
 * time (with a calendar of 8 working hours a day, 1d is three working
 * days: write 8h for one).  Hours are "Mon-Fri 09:00-17:00", groups of
 * days and ranges separated by ";": "Mon-Thu 08:00-12:00,13:00-17:00;
 * Fri 08:00-13:00"; a range ends at 24:00 at the latest.
 */
#ifndef CRM_SLA_H
#define CRM_SLA_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The targets, in this order everywhere. */
enum { CRM_SLA_FIRST, CRM_SLA_NEXT, CRM_SLA_RESOLUTION, CRM_SLA_NTARGETS };
/* Their names: "first_response", "next_response", "resolution". */
extern const char *const crm_sla_targets[];

/* A time that never comes: a clock paused for good. */
#define CRM_SLA_NEVER ((time_t)1 << 62)

/* Parse a duration into *secs (> 0); -1 when s is not one. */
int	 crm_sla_duration_parse(const char *s, long *secs);
/* The duration as text ("1h30m") into buf. */
void	 crm_sla_duration_format(long secs, char *buf, size_t len);

/* An ISO UTC time into *t; NULL is CRM_SLA_NEVER; -1: not a time. */
int	 crm_sla_time(const char *iso, time_t *t);

/* A business calendar, parsed; free with crm_sla_cal_free(). */
struct crm_sla_cal;

/*
 * A calendar in zone tz with working hours hours (syntax above) into *cal.
 * A zone not in the system's zoneinfo, or bad hours, is a CRM_EXIT_USAGE
 * error naming the place: `--hours: column 5: expected a day, got "Mox"`.
 */
struct crm_error *crm_sla_cal_new(const char *tz, const char *hours,
	    struct crm_sla_cal **cal);
/* Add a holiday, a day "YYYY-MM-DD" in the calendar's zone; -1: not one. */
int	 crm_sla_cal_holiday(struct crm_sla_cal *cal, const char *day);
void	 crm_sla_cal_free(struct crm_sla_cal *cal);

/* An interval [start, end) when a clock stands still; end may be never. */
struct crm_sla_span {
	time_t	start;
	time_t	end;
};

/*
 * The time *due at which secs of working time under cal (NULL: every
 * second counts) have passed since start, leaving out the pauses (sorted,
 * not overlapping).  CRM_SLA_NEVER when a pause that never ends comes
 * first, or when the due time is over a century away.  A calendar with no working time in the ten years after start
 * (holidays all along) is a CRM_EXIT_FAIL error.
 */
struct crm_error *crm_sla_due(const struct crm_sla_cal *cal, time_t start,
	    long secs, const struct crm_sla_span *pauses, size_t n,
	    time_t *due);

/* A time a ticket took: from start to end, less its pauses. */
struct crm_sla_took {
	time_t				 start;
	time_t				 end;
	const struct crm_sla_span	*pauses; /* sorted, not overlapping */
	size_t				 n;
	long				 secs;	/* the working time, out */
};

/*
 * The working time of each of t[0..n-1] under cal (NULL: every second
 * counts) into its secs, 0 when end is not after start: the inverse of
 * crm_sla_due(), for the times tickets took.  Many at once, because
 * entering the calendar's zone costs more than the counting.
 */
void	 crm_sla_elapsed(const struct crm_sla_cal *cal,
	    struct crm_sla_took *t, size_t n);

/* What `sla set` changes; NULL (or 0 for durations) leaves a value as is. */
struct crm_sla_change {
	const char	*priority;	/* required */
	const char	*queue;		/* NULL: for any queue */
	long		 secs[CRM_SLA_NTARGETS]; /* -1: clear the target */
	const char	*calendar;	/* "" or "none": wall-clock time */
};

/*
 * Add or change the policy for priority (and queue); every ticket that
 * is not resolved or closed has its due times computed again.  *changed
 * (may be NULL) tells whether anything changed.
 */
struct crm_error *crm_sla_set(struct crm_db *db,
	    const struct crm_sla_change *c, int *changed);
/* The record of a policy; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_sla_get(struct crm_db *db, const char *priority,
	    const char *queue, cJSON **rec);
/* Delete a policy, then compute due times again as for crm_sla_set. */
struct crm_error *crm_sla_delete(struct crm_db *db, const char *priority,
	    const char *queue);
/* Call fn with each policy's record (borrowed), by priority and queue. */
struct crm_error *crm_sla_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* The fields of a policy and of a calendar record; NULL-terminated. */
extern const char *const crm_sla_columns[];
extern const char *const crm_sla_calendar_columns[];

/*
 * Add or change calendar name (tz or hours NULL: kept; both are needed
 * for a new one), then compute due times again.
 */
struct crm_error *crm_sla_calendar_set(struct crm_db *db, const char *name,
	    const char *hours, const char *tz, int *changed);
/* Add (add 1) or delete a holiday "YYYY-MM-DD" of calendar name. */
struct crm_error *crm_sla_calendar_holiday(struct crm_db *db,
	    const char *name, const char *day, int add, int *changed);
/* Delete calendar name; one that a policy uses is CRM_EXIT_FAIL. */
struct crm_error *crm_sla_calendar_delete(struct crm_db *db,
	    const char *name);
struct crm_error *crm_sla_calendar_get(struct crm_db *db, const char *name,
	    cJSON **rec);
struct crm_error *crm_sla_calendar_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);
/* Add the holidays of calendar id to cal. */
struct crm_error *crm_sla_holidays_load(struct crm_db *db, sqlite3_int64 id,
	    struct crm_sla_cal *cal);
/* Calendar names, for completion. */
struct crm_error *crm_sla_calendar_names(struct crm_db *db,
	    void (*fn)(const char *name, void *arg), void *arg);

/* The policy that applies to a ticket. */
struct crm_sla_plan {
	long			 secs[CRM_SLA_NTARGETS]; /* 0: no target */
	struct crm_sla_cal	*cal;	/* NULL: wall-clock time */
};

/*
 * The plan for priority and queue (may be NULL): the queue's policy,
 * else the one for any queue, else no targets.  Release with
 * crm_sla_plan_release().
 */
struct crm_error *crm_sla_plan(struct crm_db *db, const char *priority,
	    const char *queue, struct crm_sla_plan *plan);
void	 crm_sla_plan_release(struct crm_sla_plan *plan);

/*
 * Pauses of ticket id: note that its clock stands (paused) or runs from
 * now on; the spans so far into *spans (the caller frees it), the last
 * one ending at CRM_SLA_NEVER while paused.
 */
struct crm_error *crm_sla_track(struct crm_db *db, sqlite3_int64 id,
	    int paused, const char *now);
struct crm_error *crm_sla_pauses(struct crm_db *db, sqlite3_int64 id,
	    struct crm_sla_span **spans, size_t *n);

/*
 * Escalations: whether target of ticket id was escalated for the cycle
 * that began at since, and noting that it is.
 */
struct crm_error *crm_sla_escalated(struct crm_db *db, sqlite3_int64 id,
	    const char *target, const char *since, int *yes);
struct crm_error *crm_sla_escalation_add(struct crm_db *db,
	    sqlite3_int64 id, const char *target, const char *since,
	    const char *due);

#endif
