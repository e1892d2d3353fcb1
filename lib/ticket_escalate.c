/*
 * Escalation of tickets whose SLA targets breached: a priority one step
 * up and/or another assignee, once per target and cycle (the first
 * response and resolution have one cycle, the next response one for
 * each customer comment it answers), noted in sla_escalations.
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

const char *const crm_ticket_escalate_columns[] = {
	"id", "subject", "targets", "due", "old_priority", "priority",
	"old_assignee", "assignee", "dry_run", NULL
};

/* Per target: its due time, the time it was met, the start of its cycle. */
#define CANDIDATES "SELECT id, first_response_due, first_response_at," \
	" created_at, next_response_due, next_response_at," \
	" next_response_since, resolution_due, resolved_at, created_at" \
	" FROM tickets WHERE sla_breach_at <= ? AND status NOT IN" \
	" ('resolved', 'closed') ORDER BY id"

static const char *
str(const cJSON *rec, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, name));
}

/* The ids of the tickets that may have something to escalate. */
static struct crm_error *
candidates(struct crm_db *db, const char *now, cJSON *list)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *row;
	int i, rc;

	if ((err = crm_db_prepare(db, CANDIDATES, &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = cJSON_CreateArray();
		for (i = 0; i < 10; i++)
			cJSON_AddItemToArray(row, crm_db_column_json(st, i));
		cJSON_AddItemToArray(list, row);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static const char *
at(const cJSON *row, int i)
{
	return cJSON_GetStringValue(cJSON_GetArrayItem(row, i));
}

/*
 * The targets of row that breached and are not yet escalated, joined
 * with "," into targets; the earliest due time into due.
 */
static struct crm_error *
breached(struct crm_db *db, const cJSON *row, const char *now,
    struct crm_buf *targets, char due[CRM_TIME_LEN], int note)
{
	struct crm_error *err = NULL;
	sqlite3_int64 id = (sqlite3_int64)cJSON_GetArrayItem(row,
	    0)->valuedouble;
	const char *d, *met, *since;
	int i, yes;

	due[0] = '\0';
	for (i = 0; i < CRM_SLA_NTARGETS && err == NULL; i++) {
		d = at(row, 1 + 3 * i);
		met = at(row, 2 + 3 * i);
		since = at(row, 3 + 3 * i);
		if (d == NULL || since == NULL || (met == NULL ?
		    strcmp(d, now) > 0 : strcmp(met, d) <= 0))
			continue;
		if ((err = crm_sla_escalated(db, id, crm_sla_targets[i], since,
		    &yes)) != NULL || yes)
			continue;
		if (note && (err = crm_sla_escalation_add(db, id,
		    crm_sla_targets[i], since, d)) != NULL)
			break;
		crm_buf_addf(targets, "%s%s", targets->len ? "," : "",
		    crm_sla_targets[i]);
		if (due[0] == '\0' || strcmp(d, due) < 0)
			snprintf(due, CRM_TIME_LEN, "%s", d);
	}
	return err;
}

/* The priority one step above p, or p at the top. */
static const char *
above(const char *p)
{
	int i;

	for (i = 0; crm_ticket_priorities[i + 1] != NULL; i++)
		if (strcmp(crm_ticket_priorities[i], p) == 0)
			return crm_ticket_priorities[i + 1];
	return p;
}

static void
add_text(cJSON *rec, const char *name, const char *v)
{
	cJSON_AddItemToObject(rec, name, v ? cJSON_CreateString(v) :
	    cJSON_CreateNull());
}

/* Escalate ticket id for targets; its record of what was done to *out. */
static struct crm_error *
escalate_one(struct crm_db *db, sqlite3_int64 id, const char *targets,
    const char *due, const struct crm_ticket_escalation *e, cJSON **out)
{
	struct crm_error *err;
	const char *prio, *who;
	cJSON *rec, *ch;

	*out = NULL;
	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	prio = e->raise ? above(str(rec, "priority")) : str(rec, "priority");
	who = e->to != NULL ? e->to : str(rec, "assignee");
	*out = cJSON_CreateObject();
	cJSON_AddNumberToObject(*out, "id", (double)id);
	add_text(*out, "subject", str(rec, "subject"));
	add_text(*out, "targets", targets);
	add_text(*out, "due", due);
	add_text(*out, "old_priority", str(rec, "priority"));
	add_text(*out, "priority", prio);
	add_text(*out, "old_assignee", str(rec, "assignee"));
	add_text(*out, "assignee", who);
	cJSON_AddBoolToObject(*out, "dry_run", e->dry_run != 0);
	if (!e->dry_run) {
		ch = cJSON_Duplicate(*out, 1);
		cJSON_DeleteItemFromObject(ch, "id");
		cJSON_DeleteItemFromObject(ch, "dry_run");
		cJSON_DeleteItemFromObject(ch, "subject");
		cJSON_AddItemToObject(ch, "contact_id", cJSON_Duplicate(
		    cJSON_GetObjectItem(rec, "contact_id"), 1));
		if ((err = crm_ticket_priority(db, id, prio, NULL)) == NULL &&
		    (e->to == NULL || (err = crm_ticket_assign(db, id, e->to,
		    NULL)) == NULL))
			err = crm_db_event(db, "ticket", id, "escalate", ch);
		cJSON_Delete(ch);
	}
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_escalate(struct crm_db *db, const struct crm_ticket_escalation *e,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf targets = CRM_BUF_INIT;
	struct crm_error *err;
	char now[CRM_TIME_LEN], due[CRM_TIME_LEN];
	cJSON *list = cJSON_CreateArray(), *row, *rec = NULL;
	int stop = 0;

	crm_time_now(now);
	if ((err = candidates(db, now, list)) != NULL)
		goto done;
	cJSON_ArrayForEach(row, list) {
		crm_buf_reset(&targets);
		if ((err = breached(db, row, now, &targets, due,
		    !e->dry_run)) != NULL)
			break;
		if (targets.len == 0)
			continue;
		if ((err = escalate_one(db, (sqlite3_int64)cJSON_GetArrayItem(
		    row, 0)->valuedouble, targets.buf, due, e, &rec)) != NULL)
			break;
		if (!stop)
			stop = fn(rec, arg);
		cJSON_Delete(rec);
		rec = NULL;
	}
done:
	cJSON_Delete(rec);
	cJSON_Delete(list);
	crm_buf_release(&targets);
	return err;
}
