/*
 * Activities: calls, emails, meetings and notes logged on a contact, and
 * tasks, which have a due time and are marked done (crm-contact(1): log,
 * task, tasks, done).  Owns the table activities.  An activity belongs to
 * one contact and goes when the contact is deleted; deal_id and ticket_id
 * are kept for the deal and ticket modules (no foreign key yet).
 *
 * Writes go into the caller's transaction (crm_db_begin) and each records
 * an event of entity "activity": "add" with the new record, "done" with
 * {"done_at": {"old": null, "new": TIME}}.
 */
#ifndef CRM_ACTIVITY_H
#define CRM_ACTIVITY_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"

/* The fields of an activity record, in output order; NULL-terminated. */
extern const char *const crm_activity_columns[];
/* The columns a table shows: of activities, of tasks, of tasks --all. */
extern const char *const crm_activity_table_columns[];
extern const char *const crm_task_table_columns[];
extern const char *const crm_task_all_table_columns[];
/* The types "log" takes: call, email, meeting, note (not task). */
extern const char *const crm_activity_log_types[];

/* The fields of --where over activities a (crm-report activity). */
const struct crm_fieldset *crm_activity_fieldset(void);

/* A new activity; text is borrowed for the call. */
struct crm_activity_values {
	sqlite3_int64	 contact_id;
	const char	*type;		/* call, email, meeting, note, task */
	const char	*subject;	/* one line, required */
	const char	*body;		/* any text, or NULL */
	const char	*at;		/* ISO time it happened; NULL: now */
	const char	*due_at;	/* tasks: ISO due time, or NULL */
	const char	*owner;		/* NULL: crm_actor() */
};

/*
 * Parse a due time as crm_time_parse() does, except that a whole day
 * ("2026-11-25", "tomorrow") means its last second, 23:59:59Z, so that a
 * task due on a day is not overdue before that day is over.  0 when fine,
 * -1 for text that is not a time.
 */
int	 crm_activity_parse_due(const char *s, char out[CRM_TIME_LEN]);

/*
 * Add an activity; its id goes to *id.  A missing contact, an unknown type
 * or a bad text (empty subject, invalid UTF-8, control characters, over
 * 1000 characters in a line or 1 MiB in the body) is a CRM_EXIT_FAIL
 * error that names the field.
 */
struct crm_error *crm_activity_add(struct crm_db *db,
	    const struct crm_activity_values *v, sqlite3_int64 *id);

/* The record of activity id; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_activity_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);

/*
 * The task a reference (its id, all digits) names.  CRM_EXIT_FAIL errors:
 * `no task "x"`, `activity 3 is a call, not a task`, and, when open is
 * set, `task 5 is already done`.
 */
struct crm_error *crm_activity_resolve_task(struct crm_db *db,
	    const char *ref, int open, sqlite3_int64 *id);

/* Mark task id done now (it must be an open task, as above). */
struct crm_error *crm_activity_done(struct crm_db *db, sqlite3_int64 id);

struct crm_task_query {
	const char	*due_day;	/* a time: due on its UTC day; NULL */
	int		 overdue;	/* due before now and not done */
	const char	*owner;		/* only this owner, or NULL */
	int		 all;		/* done tasks too */
};

/*
 * Call fn with each task matching q (borrowed for the call), by due time
 * (tasks without one last), then id, until fn returns non-zero.  With both
 * due_day and overdue a task is listed when either holds.  A bad due_day
 * is a CRM_EXIT_USAGE error.
 */
struct crm_error *crm_activity_tasks(struct crm_db *db,
	    const struct crm_task_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* The distinct owners of activities, sorted, for completion. */
struct crm_error *crm_activity_owners(struct crm_db *db,
	    void (*fn)(const char *value, void *arg), void *arg);

#endif
