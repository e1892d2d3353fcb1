/*
 * Tickets, the SLA side: the due time of each target, computed from the
 * ticket's history (created, first response, the customer's last word
 * and the reply to it, resolution, the pauses) under the policy of its
 * priority and queue (lib/sla.c), and stored on the ticket after every
 * change; escalation of what breached.
 *
 * A target is met by the first public reply of an agent (first
 * response), by an agent's public reply to the customer's comments that
 * came after the last one (next response) or by resolving (resolution,
 * and any response still owed).  The clock stands while the ticket is
 * pending, resolved or closed.  A target not met while the clock stands
 * has no due time (it is paused), unless it was already past.
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

const char crm_ticket_schema_2[] =
	"ALTER TABLE tickets ADD COLUMN first_response_due TEXT;"
	"ALTER TABLE tickets ADD COLUMN next_response_due TEXT;"
	"ALTER TABLE tickets ADD COLUMN next_response_at TEXT;"
	/* The customer's comment the next response answers: escalations
	 * are once per target and cycle. */
	"ALTER TABLE tickets ADD COLUMN next_response_since TEXT;"
	"ALTER TABLE tickets ADD COLUMN resolution_due TEXT;"
	/* The earliest due time of a target not met. */
	"ALTER TABLE tickets ADD COLUMN sla_due TEXT;"
	/* When the first breach happened or will, if nothing changes. */
	"ALTER TABLE tickets ADD COLUMN sla_breach_at TEXT;"
	"CREATE INDEX tickets_sla_due ON tickets(sla_due);"
	"CREATE INDEX tickets_sla_breach ON tickets(sla_breach_at);";

/* What the due times are computed from; text borrowed or owned as noted. */
struct facts {
	char	*status, *priority, *queue;
	char	*start[CRM_SLA_NTARGETS];	/* owned; NULL: no clock */
	char	*met[CRM_SLA_NTARGETS];	/* owned; NULL: not met */
	char	*next_at;	/* the reply that answered */
};

static void
facts_release(struct facts *f)
{
	int i;

	free(f->status);
	free(f->priority);
	free(f->queue);
	for (i = 0; i < CRM_SLA_NTARGETS; i++) {
		free(f->start[i]);
		free(f->met[i]);
	}
	memset(f, 0, sizeof(*f));
}

static char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? crm_xstrdup(s) : NULL;
}

/*
 * Run sql binding id and then a and b (as far as it takes them), and
 * set *out (the caller frees it) to the first row's column 0 and *rowid
 * to its column 1 (when wanted).
 */
static struct crm_error *
one(struct crm_db *db, const char *sql, sqlite3_int64 id, sqlite3_int64 a,
    sqlite3_int64 b, char **out, sqlite3_int64 *rowid)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if (rowid != NULL)
		*rowid = 0;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, a);
	if (sqlite3_bind_parameter_count(st) > 2)
		sqlite3_bind_int64(st, 3, b);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = col(st, 0);
		if (rowid != NULL)
			*rowid = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

#define AGENT "SELECT created_at, id FROM ticket_comments WHERE" \
	" ticket_id = ? AND contact_id IS NULL AND internal = 0"
#define CUSTOMER "SELECT created_at, id FROM ticket_comments WHERE" \
	" ticket_id = ? AND contact_id IS NOT NULL"

/*
 * The next response's cycle: the customer's first comment after the last
 * reply (unanswered), else the one the last reply answered (the reply
 * met it); none before the first response.
 */
static struct crm_error *
next_cycle(struct crm_db *db, sqlite3_int64 id, struct facts *f)
{
	struct crm_error *err;
	sqlite3_int64 last, prev;
	char *at = NULL, *pat = NULL;

	if ((err = one(db, AGENT " ORDER BY id DESC LIMIT 1", id, 0, 0, &at,
	    &last)) != NULL || at == NULL)
		goto done;
	if ((err = one(db, CUSTOMER " AND id > ? ORDER BY id LIMIT 1", id,
	    last, 0, &f->start[CRM_SLA_NEXT], NULL)) != NULL ||
	    f->start[CRM_SLA_NEXT] != NULL)
		goto done;
	if ((err = one(db, AGENT " AND id < ? ORDER BY id DESC LIMIT 1", id,
	    last, 0, &pat, &prev)) != NULL || pat == NULL)
		goto done;
	free(pat);
	pat = NULL;
	if ((err = one(db, CUSTOMER " AND id > ? AND id < ? ORDER BY id"
	    " LIMIT 1", id, prev, last, &f->start[CRM_SLA_NEXT], NULL)) !=
	    NULL)
		goto done;
	if (f->start[CRM_SLA_NEXT] != NULL) {
		f->met[CRM_SLA_NEXT] = at;
		f->next_at = at;
		at = NULL;
	}
done:
	free(at);
	free(pat);
	return err;
}

static struct crm_error *
load_facts(struct crm_db *db, sqlite3_int64 id, struct facts *f)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int i, rc;

	memset(f, 0, sizeof(*f));
	if ((err = crm_db_prepare(db, "SELECT status, priority, queue,"
	    " created_at, first_response_at, resolved_at FROM tickets"
	    " WHERE id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->status = col(st, 0);
		f->priority = col(st, 1);
		f->queue = col(st, 2);
		f->start[CRM_SLA_FIRST] = col(st, 3);
		f->start[CRM_SLA_RESOLUTION] = col(st, 3);
		f->met[CRM_SLA_FIRST] = col(st, 4);
		f->met[CRM_SLA_RESOLUTION] = col(st, 5);
	} else
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_FAIL,
		    "no ticket %lld", (long long)id) : crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err == NULL)
		err = next_cycle(db, id, f);
	/* Resolving meets whatever response is still owed. */
	for (i = 0; err == NULL && i < CRM_SLA_NTARGETS; i++)
		if (f->met[i] == NULL && f->met[CRM_SLA_RESOLUTION] != NULL)
			f->met[i] = crm_xstrdup(f->met[CRM_SLA_RESOLUTION]);
	return err;
}

/*
 * The due time of target i into due ("" when none), and whether it
 * breached (or will, at the time in *breach).
 */
static struct crm_error *
target_due(const struct facts *f, int i, const struct crm_sla_plan *plan,
    const struct crm_sla_span *spans, size_t n, char due[CRM_TIME_LEN])
{
	struct crm_sla_span *p;
	struct crm_error *err = NULL;
	time_t start, met, t;
	size_t k, m = 0;

	due[0] = '\0';
	if (plan->secs[i] <= 0 || f->start[i] == NULL ||
	    crm_sla_time(f->start[i], &start) != 0 ||
	    crm_sla_time(f->met[i], &met) != 0)
		return NULL;
	/* After the target is met, no pause matters any more. */
	p = crm_xcalloc(n + 1, sizeof(*p));
	for (k = 0; k < n; k++)
		if (spans[k].start < met) {
			p[m] = spans[k];
			if (p[m].end > met)
				p[m].end = met;
			m++;
		}
	err = crm_sla_due(plan->cal, start, plan->secs[i], p, m, &t);
	free(p);
	if (err == NULL && t < CRM_SLA_NEVER)
		crm_time_format(t, due);
	return err;
}

static struct crm_error *
store(struct crm_db *db, sqlite3_int64 id, const struct facts *f,
    char due[][CRM_TIME_LEN])
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *first = NULL, *breach = NULL;
	int i;

	for (i = 0; i < CRM_SLA_NTARGETS; i++) {
		if (due[i][0] == '\0')
			continue;
		if (f->met[i] == NULL && (first == NULL ||
		    strcmp(due[i], first) < 0))
			first = due[i];
		if ((f->met[i] == NULL || strcmp(f->met[i], due[i]) > 0) &&
		    (breach == NULL || strcmp(due[i], breach) < 0))
			breach = due[i];
	}
	if ((err = crm_db_prepare(db, "UPDATE tickets SET first_response_due"
	    " = ?, next_response_due = ?, resolution_due = ?,"
	    " next_response_at = ?, next_response_since = ?, sla_due = ?,"
	    " sla_breach_at = ? WHERE id = ?", &st)) != NULL)
		return err;
	for (i = 0; i < CRM_SLA_NTARGETS; i++)
		crm_db_bind_text(st, i + 1, due[i][0] ? due[i] : NULL);
	crm_db_bind_text(st, 4, f->next_at);
	crm_db_bind_text(st, 5, f->start[CRM_SLA_NEXT]);
	crm_db_bind_text(st, 6, first);
	crm_db_bind_text(st, 7, breach);
	sqlite3_bind_int64(st, 8, id);
	return crm_db_step_done(db, st);
}

struct crm_error *
crm_ticket_sla_refresh(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_sla_plan plan = { { 0, 0, 0 }, NULL };
	struct crm_sla_span *spans = NULL;
	struct crm_error *err;
	struct facts f;
	char now[CRM_TIME_LEN], due[CRM_SLA_NTARGETS][CRM_TIME_LEN];
	size_t n = 0;
	int i;

	if ((err = load_facts(db, id, &f)) != NULL)
		goto done;
	crm_time_now(now);
	if ((err = crm_sla_track(db, id, strcmp(f.status, "new") != 0 &&
	    strcmp(f.status, "open") != 0, now)) != NULL ||
	    (err = crm_sla_plan(db, f.priority, f.queue, &plan)) != NULL ||
	    (err = crm_sla_pauses(db, id, &spans, &n)) != NULL)
		goto done;
	for (i = 0; i < CRM_SLA_NTARGETS && err == NULL; i++)
		err = target_due(&f, i, &plan, spans, n, due[i]);
	if (err == NULL)
		err = store(db, id, &f, due);
done:
	free(spans);
	crm_sla_plan_release(&plan);
	facts_release(&f);
	return crm_error_prefix(err, "ticket %lld", (long long)id);
}

struct crm_error *
crm_ticket_sla_refresh_open(struct crm_db *db, long *count)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 *ids = NULL;
	size_t n = 0, alloc = 0, i;
	int rc;

	*count = 0;
	if ((err = crm_db_prepare(db, "SELECT id FROM tickets WHERE status"
	    " NOT IN ('resolved', 'closed') ORDER BY id", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			ids = crm_xrealloc(ids, alloc * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	for (i = 0; i < n && err == NULL; i++)
		err = crm_ticket_sla_refresh(db, ids[i]);
	if (err == NULL)
		*count = (long)n;
	free(ids);
	return err;
}

static void
sql_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char now[CRM_TIME_LEN];

	(void)argc;
	(void)argv;
	crm_time_now(now);
	sqlite3_result_text(ctx, now, -1, SQLITE_TRANSIENT);
}

struct crm_error *
crm_ticket_sla_functions(struct crm_db *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* Registering again would expire the statements that are running. */
	if (sqlite3_prepare_v2(db->sql, "SELECT crm_now()", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	rc = sqlite3_create_function(db->sql, "crm_now", 0, SQLITE_UTF8,
	    NULL, sql_now, NULL, NULL);
	return rc == SQLITE_OK ? NULL : crm_db_error(db, rc);
}
