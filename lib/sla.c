/*
 * SLA policies and business calendars: their tables, records and
 * changes, the plan that applies to a ticket, and the pauses and
 * escalations the ticket side keeps here.  A change to a policy or a
 * calendar computes the due times of the tickets still open again
 * (crm_ticket_sla_refresh_open) in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_sla.h"
#include "crm_ticket.h"
#include "crm_util.h"

const char crm_sla_schema_1[] =
	"CREATE TABLE sla_calendars ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" tz TEXT NOT NULL,"
	" hours TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	"CREATE TABLE sla_holidays ("
	" calendar_id INTEGER NOT NULL REFERENCES sla_calendars(id)"
	" ON DELETE CASCADE,"
	" day TEXT NOT NULL,"
	" PRIMARY KEY (calendar_id, day)) WITHOUT ROWID;"
	/* queue '' is the policy for any queue: UNIQUE treats NULLs apart. */
	"CREATE TABLE sla_policies ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" priority TEXT NOT NULL CHECK (priority IN"
	" ('low', 'normal', 'high', 'urgent')),"
	" queue TEXT NOT NULL DEFAULT '',"
	" first_response INTEGER,"
	" next_response INTEGER,"
	" resolution INTEGER,"
	" calendar_id INTEGER REFERENCES sla_calendars(id),"
	" updated_at TEXT NOT NULL,"
	" UNIQUE (priority, queue));"
	/* When a ticket's clocks stood: pending, resolved, closed. */
	"CREATE TABLE sla_pauses ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT);"
	"CREATE INDEX sla_pauses_ticket ON sla_pauses(ticket_id, started_at);"
	"CREATE TABLE sla_escalations ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,"
	" target TEXT NOT NULL,"
	" since TEXT NOT NULL,"
	" due TEXT NOT NULL,"
	" escalated_at TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, target, since)) WITHOUT ROWID;";

const char *const crm_sla_columns[] = {
	"priority", "queue", "first_response", "next_response", "resolution",
	"calendar", "updated_at", NULL
};

const char *const crm_sla_calendar_columns[] = {
	"name", "tz", "hours", "holidays", "updated_at", NULL
};

#define POLICY_SQL "SELECT p.priority, NULLIF(p.queue, ''), p.first_response," \
	" p.next_response, p.resolution, c.name, p.updated_at, p.id" \
	" FROM sla_policies p LEFT JOIN sla_calendars c" \
	" ON c.id = p.calendar_id"

static cJSON *
policy_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	char buf[32];
	int i;

	for (i = 0; crm_sla_columns[i] != NULL; i++) {
		if (i >= 2 && i <= 4 &&
		    sqlite3_column_type(st, i) != SQLITE_NULL) {
			crm_sla_duration_format((long)sqlite3_column_int64(st,
			    i), buf, sizeof(buf));
			cJSON_AddStringToObject(rec, crm_sla_columns[i], buf);
		} else
			cJSON_AddItemToObject(rec, crm_sla_columns[i],
			    crm_db_column_json(st, i));
	}
	return rec;
}

static const char *
qkey(const char *queue)
{
	return queue != NULL ? queue : "";
}

/* The policy for priority and queue into *rec (NULL: none); *id too. */
static struct crm_error *
find_policy(struct crm_db *db, const char *priority, const char *queue,
    cJSON **rec, sqlite3_int64 *id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*rec = NULL;
	*id = 0;
	err = crm_db_prepare(db, POLICY_SQL " WHERE p.priority = ? AND"
	    " p.queue = ?", &st);
	if (err != NULL)
		return err;
	crm_db_bind_text(st, 1, priority);
	crm_db_bind_text(st, 2, qkey(queue));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rec = policy_record(st);
		*id = sqlite3_column_int64(st, 7);
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
no_policy(const char *priority, const char *queue)
{
	if (queue != NULL)
		return crm_error_new(CRM_EXIT_FAIL, "no SLA policy for "
		    "priority %s in queue \"%s\"", priority, queue);
	return crm_error_new(CRM_EXIT_FAIL, "no SLA policy for priority %s",
	    priority);
}

static struct crm_error *
check_priority(const char *priority)
{
	const char *const *p;
	const char *hint;

	for (p = crm_ticket_priorities; *p != NULL; p++)
		if (strcmp(*p, priority) == 0)
			return NULL;
	if ((hint = crm_suggest(priority, crm_ticket_priorities, 4)) != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown priority \"%s\" "
		    "(did you mean \"%s\"?)", priority, hint);
	return crm_error_new(CRM_EXIT_USAGE, "unknown priority \"%s\" (use "
	    "low, normal, high or urgent)", priority);
}

static struct crm_error *
calendar_id(struct crm_db *db, const char *name, sqlite3_int64 *id)
{
	struct crm_error *err;
	int n = 0;

	err = crm_db_lookup(db, "SELECT id FROM sla_calendars WHERE name = ?",
	    name, id, &n);
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no calendar \"%s\"", name);
	return err;
}

struct crm_error *
crm_sla_get(struct crm_db *db, const char *priority, const char *queue,
    cJSON **rec)
{
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = check_priority(priority)) != NULL)
		return err;
	if ((err = find_policy(db, priority, queue, rec, &id)) == NULL &&
	    *rec == NULL)
		err = no_policy(priority, queue);
	return err;
}

/* Record action on entity what (id) with rec, then refresh open tickets. */
static struct crm_error *
changed_refresh(struct crm_db *db, const char *what, sqlite3_int64 id,
    const char *action, const cJSON *rec)
{
	struct crm_error *err;
	cJSON *ch = cJSON_Duplicate(rec, 1);
	long n = 0;

	if ((err = crm_ticket_sla_refresh_open(db, &n)) == NULL) {
		cJSON_AddNumberToObject(ch, "tickets_recomputed", (double)n);
		err = crm_db_event(db, what, id, action, ch);
	}
	cJSON_Delete(ch);
	return err;
}

static void
bind_secs(sqlite3_stmt *st, int i, long v)
{
	if (v > 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* The stored seconds of target i in rec (0: none). */
static long
rec_secs(const cJSON *rec, int i)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(rec,
	    crm_sla_columns[2 + i]));
	long v = 0;

	if (s != NULL && crm_sla_duration_parse(s, &v) != 0)
		v = 0;
	return v;
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Write the policy of c with targets v and calendar cal (0: none). */
static struct crm_error *
upsert(struct crm_db *db, const struct crm_sla_change *c, const long *v,
    sqlite3_int64 cal)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char now[CRM_TIME_LEN];
	int i;

	err = crm_db_prepare(db, "INSERT INTO sla_policies (priority, queue,"
	    " first_response, next_response, resolution, calendar_id,"
	    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (priority,"
	    " queue) DO UPDATE SET first_response = excluded.first_response,"
	    " next_response = excluded.next_response, resolution ="
	    " excluded.resolution, calendar_id = excluded.calendar_id,"
	    " updated_at = excluded.updated_at", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	crm_db_bind_text(st, 1, c->priority);
	crm_db_bind_text(st, 2, qkey(c->queue));
	for (i = 0; i < CRM_SLA_NTARGETS; i++)
		bind_secs(st, 3 + i, v[i]);
	if (cal != 0)
		sqlite3_bind_int64(st, 6, cal);
	crm_db_bind_text(st, 7, now);
	return crm_db_step_done(db, st);
}

struct crm_error *
crm_sla_set(struct crm_db *db, const struct crm_sla_change *c, int *changed)
{
	struct crm_error *err;
	sqlite3_int64 pid, cal = 0;
	long v[CRM_SLA_NTARGETS];
	const char *calname, *oldcal;
	cJSON *old = NULL, *rec = NULL;
	int i, same;

	if (changed != NULL)
		*changed = 0;
	if ((err = check_priority(c->priority)) != NULL ||
	    (err = find_policy(db, c->priority, c->queue, &old, &pid)) != NULL)
		return err;
	oldcal = cJSON_GetStringValue(cJSON_GetObjectItem(old, "calendar"));
	calname = oldcal;
	if (c->calendar != NULL)
		calname = *c->calendar == '\0' || strcmp(c->calendar,
		    "none") == 0 ? NULL : c->calendar;
	if (calname != NULL && (err = crm_error_prefix(calendar_id(db,
	    calname, &cal), "--calendar")) != NULL)
		goto done;
	same = old != NULL && same_str(calname, oldcal);
	for (i = 0; i < CRM_SLA_NTARGETS; i++) {
		v[i] = c->secs[i] == 0 && old ? rec_secs(old, i) :
		    c->secs[i] < 0 ? 0 : c->secs[i];
		same = same && v[i] == rec_secs(old, i);
	}
	if (same)
		goto done;
	if ((err = upsert(db, c, v, cal)) != NULL ||
	    (err = find_policy(db, c->priority, c->queue, &rec, &pid)) != NULL)
		goto done;
	if (changed != NULL)
		*changed = 1;
	err = changed_refresh(db, "sla", pid, "set", rec);
done:
	cJSON_Delete(old);
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_sla_delete(struct crm_db *db, const char *priority, const char *queue)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id;
	cJSON *rec = NULL;

	if ((err = check_priority(priority)) != NULL ||
	    (err = find_policy(db, priority, queue, &rec, &id)) != NULL)
		goto done;
	if (rec == NULL) {
		err = no_policy(priority, queue);
		goto done;
	}
	if ((err = crm_db_prepare(db, "DELETE FROM sla_policies WHERE id = ?",
	    &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = changed_refresh(db, "sla", id, "delete", rec);
done:
	cJSON_Delete(rec);
	return err;
}

/* Run sql (no parameters), calling fn with row(st) until it says stop. */
static struct crm_error *
each(struct crm_db *db, const char *sql, cJSON *(*row)(struct crm_db *,
    sqlite3_stmt *), int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc, stop = 0;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec = row(db, st);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static cJSON *
policy_row(struct crm_db *db, sqlite3_stmt *st)
{
	(void)db;
	return policy_record(st);
}

struct crm_error *
crm_sla_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	return each(db, POLICY_SQL " ORDER BY CASE p.priority WHEN 'low'"
	    " THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 ELSE 3 END,"
	    " p.queue", policy_row, fn, arg);
}

struct crm_error *
crm_sla_plan(struct crm_db *db, const char *priority, const char *queue,
    struct crm_sla_plan *plan)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int i, rc;

	memset(plan, 0, sizeof(*plan));
	err = crm_db_prepare(db, "SELECT p.first_response, p.next_response,"
	    " p.resolution, c.tz, c.hours, c.id FROM sla_policies p"
	    " LEFT JOIN sla_calendars c ON c.id = p.calendar_id"
	    " WHERE p.priority = ? AND p.queue IN (?, '')"
	    " ORDER BY p.queue = '' LIMIT 1", &st);
	if (err != NULL)
		return err;
	crm_db_bind_text(st, 1, priority);
	crm_db_bind_text(st, 2, qkey(queue));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < CRM_SLA_NTARGETS; i++)
			plan->secs[i] = (long)sqlite3_column_int64(st, i);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    (err = crm_sla_cal_new((const char *)sqlite3_column_text(
		    st, 3), (const char *)sqlite3_column_text(st, 4),
		    &plan->cal)) == NULL)
			err = crm_sla_holidays_load(db, sqlite3_column_int64(st,
			    5), plan->cal);
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err != NULL)
		crm_sla_plan_release(plan);
	return err;
}

void
crm_sla_plan_release(struct crm_sla_plan *plan)
{
	crm_sla_cal_free(plan->cal);
	memset(plan, 0, sizeof(*plan));
}

struct crm_error *
crm_sla_track(struct crm_db *db, sqlite3_int64 id, int paused,
    const char *now)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 open = 0;
	int n = 0;
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	err = crm_db_lookup(db, "SELECT rowid FROM sla_pauses WHERE"
	    " ticket_id = ? AND ended_at IS NULL", key, &open, &n);
	if (err != NULL || (paused != 0) == (n > 0))
		return err;
	err = crm_db_prepare(db, paused ? "INSERT INTO sla_pauses (ticket_id,"
	    " started_at) VALUES (?, ?)" : "UPDATE sla_pauses SET ended_at = ?"
	    " WHERE rowid = ?", &st);
	if (err != NULL)
		return err;
	if (paused) {
		sqlite3_bind_int64(st, 1, id);
		crm_db_bind_text(st, 2, now);
	} else {
		crm_db_bind_text(st, 1, now);
		sqlite3_bind_int64(st, 2, open);
	}
	return crm_db_step_done(db, st);
}

struct crm_error *
crm_sla_pauses(struct crm_db *db, sqlite3_int64 id,
    struct crm_sla_span **spans, size_t *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct crm_sla_span s;
	size_t alloc = 0;
	int rc;

	*spans = NULL;
	*n = 0;
	err = crm_db_prepare(db, "SELECT started_at, ended_at FROM sla_pauses"
	    " WHERE ticket_id = ? ORDER BY started_at, rowid", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (crm_sla_time((const char *)sqlite3_column_text(st, 0),
		    &s.start) != 0 || crm_sla_time((const char *)
		    sqlite3_column_text(st, 1), &s.end) != 0)
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			*spans = crm_xrealloc(*spans, alloc * sizeof(**spans));
		}
		(*spans)[(*n)++] = s;
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_sla_escalated(struct crm_db *db, sqlite3_int64 id, const char *target,
    const char *since, int *yes)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*yes = 0;
	err = crm_db_prepare(db, "SELECT 1 FROM sla_escalations WHERE"
	    " ticket_id = ? AND target = ? AND since = ?", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, target);
	crm_db_bind_text(st, 3, since);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*yes = 1;
	else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_sla_escalation_add(struct crm_db *db, sqlite3_int64 id,
    const char *target, const char *since, const char *due)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char now[CRM_TIME_LEN];

	err = crm_db_prepare(db, "INSERT OR IGNORE INTO sla_escalations"
	    " (ticket_id, target, since, due, escalated_at)"
	    " VALUES (?, ?, ?, ?, ?)", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, target);
	crm_db_bind_text(st, 3, since);
	crm_db_bind_text(st, 4, due);
	crm_db_bind_text(st, 5, now);
	return crm_db_step_done(db, st);
}
