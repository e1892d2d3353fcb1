/*
 * Activities and tasks: the schema, checks, records, and the task list.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_activity.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_stream.h"
#include "crm_util.h"

#define LINE_MAX_CHARS	1000
#define BODY_MAX	(1024 * 1024)

const char crm_activity_schema_1[] =
	"CREATE TABLE activities ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" contact_id INTEGER NOT NULL"
	"  REFERENCES contacts(id) ON DELETE CASCADE,"
	/* No foreign keys yet: the deal and ticket tables come later. */
	" deal_id INTEGER,"
	" ticket_id INTEGER,"
	" type TEXT NOT NULL"
	"  CHECK (type IN ('call', 'email', 'meeting', 'note', 'task')),"
	" subject TEXT NOT NULL,"
	" body TEXT,"
	" at TEXT NOT NULL,"
	" due_at TEXT,"
	" done_at TEXT,"
	" owner TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	/* A contact's timeline, newest first. */
	"CREATE INDEX activities_contact ON activities(contact_id, at);"
	/* The open tasks by due time: the morning list stays small. */
	"CREATE INDEX activities_open_tasks ON activities(due_at)"
	" WHERE type = 'task' AND done_at IS NULL;";

const char *const crm_activity_columns[] = {
	"id", "contact_id", "contact", "deal_id", "ticket_id", "type",
	"subject", "body", "at", "due_at", "done_at", "owner", "created_at",
	"updated_at", NULL
};

const char *const crm_activity_table_columns[] = {
	"id", "at", "type", "contact", "subject", "owner", NULL
};

const char *const crm_task_table_columns[] = {
	"id", "due_at", "contact", "subject", "owner", NULL
};

const char *const crm_task_all_table_columns[] = {
	"id", "due_at", "done_at", "contact", "subject", "owner", NULL
};

const char *const crm_activity_log_types[] = {
	"call", "email", "meeting", "note", NULL
};

/*
 * What --where knows of an activity, over activities a.  "contact" is
 * the name, or the email when there is none, as in the records.
 */
static const struct crm_field filter_fields[] = {
	{ "id", "a.id", CRM_FT_INT },
	{ "contact_id", "a.contact_id", CRM_FT_INT },
	{ "contact", "(SELECT coalesce(nullif(c.name, ''), c.email)"
	    " FROM contacts c WHERE c.id = a.contact_id)", CRM_FT_TEXT },
	{ "deal_id", "a.deal_id", CRM_FT_INT },
	{ "ticket_id", "a.ticket_id", CRM_FT_INT },
	{ "type", "a.type", CRM_FT_TEXT },
	{ "subject", "a.subject", CRM_FT_TEXT },
	{ "body", "a.body", CRM_FT_TEXT },
	{ "at", "a.at", CRM_FT_TIME },
	{ "due_at", "a.due_at", CRM_FT_TIME },
	{ "done_at", "a.done_at", CRM_FT_TIME },
	{ "owner", "a.owner", CRM_FT_TEXT },
	{ "created_at", "a.created_at", CRM_FT_TIME },
	{ "updated_at", "a.updated_at", CRM_FT_TIME },
};

static const struct crm_fieldset fieldset = {
	filter_fields, sizeof(filter_fields) / sizeof(filter_fields[0]),
	NULL, NULL
};

const struct crm_fieldset *
crm_activity_fieldset(void)
{
	return &fieldset;
}

/* The contact is named by its name, or its email when it has none. */
#define SELECT_SQL "SELECT a.id, a.contact_id," \
	" coalesce(nullif(c.name, ''), c.email), a.deal_id, a.ticket_id," \
	" a.type, a.subject, a.body, a.at, a.due_at, a.done_at, a.owner," \
	" a.created_at, a.updated_at" \
	" FROM activities a JOIN contacts c ON c.id = a.contact_id"

static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; crm_activity_columns[i] != NULL; i++)
		cJSON_AddItemToObject(rec, crm_activity_columns[i],
		    crm_db_column_json(st, i));
	return rec;
}

int
crm_activity_parse_due(const char *s, char out[CRM_TIME_LEN])
{
	int day;

	if (crm_time_parse(s, out, &day) != 0)
		return -1;
	if (day)
		memcpy(out + 10, "T23:59:59Z", 11);
	return 0;
}

/*
 * A reason when s is no fit text for a field, or NULL: invalid UTF-8,
 * control characters (a body may hold tabs and line ends), too long.
 */
static const char *
bad_text(const char *s, int body)
{
	size_t n = strlen(s), chars = 0;
	const char *p;

	if (!crm_utf8_check(s, n, NULL))
		return "invalid UTF-8";
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			if (!body || (*p != '\t' && *p != '\n' && *p != '\r'))
				return "control character";
		}
		if (((unsigned char)*p & 0xc0) != 0x80)
			chars++;
	}
	if (body ? n > BODY_MAX : chars > LINE_MAX_CHARS)
		return body ? "longer than 1 MiB" : "longer than 1000 "
		    "characters";
	return NULL;
}

static struct crm_error *
check_time(const char *field, const char *s, char out[CRM_TIME_LEN])
{
	if (s == NULL) {
		crm_time_now(out);
		return NULL;
	}
	if (crm_time_parse(s, out, NULL) != 0)
		return crm_error_new(CRM_EXIT_FAIL, "invalid %s \"%s\": "
		    "expected a time such as 2026-11-22T10:00:00Z or -3d",
		    field, s);
	return NULL;
}

static struct crm_error *
check_values(const struct crm_activity_values *v, char *subject)
{
	static const char *const types[] = { "call", "email", "meeting",
	    "note", "task" };
	const char *why;
	size_t i;

	for (i = 0; i < 5; i++)
		if (v->type != NULL && strcmp(v->type, types[i]) == 0)
			break;
	if (i == 5)
		return crm_error_new(CRM_EXIT_FAIL, "invalid type \"%s\": use "
		    "call, email, meeting, note or task",
		    v->type ? v->type : "");
	if ((why = bad_text(subject, 0)) != NULL)
		return crm_error_new(CRM_EXIT_FAIL, "invalid subject \"%s\": "
		    "%s", subject, why);
	if (*subject == '\0')
		return crm_error_new(CRM_EXIT_FAIL, "empty subject");
	if (v->body != NULL && (why = bad_text(v->body, 1)) != NULL)
		return crm_error_new(CRM_EXIT_FAIL, "invalid body: %s", why);
	if (v->owner != NULL && ((why = bad_text(v->owner, 0)) != NULL ||
	    *v->owner == '\0'))
		return crm_error_new(CRM_EXIT_FAIL, "invalid owner \"%s\": %s",
		    v->owner, why ? why : "empty");
	if (v->due_at != NULL && strcmp(v->type, "task") != 0)
		return crm_error_new(CRM_EXIT_FAIL, "only a task has a due "
		    "time");
	return NULL;
}

static struct crm_error *
insert_row(struct crm_db *db, const struct crm_activity_values *v,
    const char *subject, const char *at, const char *due, sqlite3_int64 *id)
{
	static const char sql[] = "INSERT INTO activities (contact_id, type,"
	    " subject, body, at, due_at, owner, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_int64(st, 1, v->contact_id);
	crm_db_bind_text(st, 2, v->type);
	crm_db_bind_text(st, 3, subject);
	crm_db_bind_text(st, 4, v->body);
	crm_db_bind_text(st, 5, at);
	crm_db_bind_text(st, 6, due);
	crm_db_bind_text(st, 7, v->owner ? v->owner : crm_actor());
	crm_db_bind_text(st, 8, now);
	crm_db_bind_text(st, 9, now);
	if ((err = crm_db_step_done(db, st)) == NULL)
		*id = sqlite3_last_insert_rowid(db->sql);
	return err;
}

static struct crm_error *
contact_exists(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_int64 found;
	char text[24];
	int n;

	snprintf(text, sizeof(text), "%lld", (long long)id);
	if ((err = crm_db_lookup(db, "SELECT id FROM contacts WHERE id = ?",
	    text, &found, &n)) != NULL)
		return err;
	if (n == 0)
		return crm_error_new(CRM_EXIT_FAIL, "no contact %lld",
		    (long long)id);
	return NULL;
}

struct crm_error *
crm_activity_add(struct crm_db *db, const struct crm_activity_values *v,
    sqlite3_int64 *id)
{
	char at[CRM_TIME_LEN], due[CRM_TIME_LEN], *subject;
	struct crm_error *err;
	cJSON *rec = NULL;

	subject = crm_trim(crm_xstrdup(v->subject ? v->subject : ""));
	if ((err = check_values(v, subject)) != NULL ||
	    (err = check_time("at", v->at, at)) != NULL ||
	    (v->due_at != NULL &&
	    (err = check_time("due_at", v->due_at, due)) != NULL) ||
	    (err = contact_exists(db, v->contact_id)) != NULL)
		goto done;
	if ((err = insert_row(db, v, subject, at, v->due_at ? due : NULL,
	    id)) == NULL &&
	    (err = crm_activity_get(db, *id, &rec)) == NULL)
		err = crm_db_event(db, "activity", *id, "add", rec);
done:
	cJSON_Delete(rec);
	free(subject);
	return err;
}

struct crm_error *
crm_activity_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, SELECT_SQL " WHERE a.id = ?", id, row_record,
	    "activity", rec);
}

struct crm_error *
crm_activity_resolve_task(struct crm_db *db, const char *ref, int open,
    sqlite3_int64 *id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *type;
	int rc, done;

	if (!crm_is_id(ref))
		return crm_error_new(CRM_EXIT_FAIL, "no task \"%s\"", ref);
	if ((err = crm_db_prepare(db, "SELECT id, type, done_at IS NOT NULL"
	    " FROM activities WHERE id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, strtoll(ref, NULL, 10));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		done = sqlite3_column_int(st, 2);
		if (strcmp(type, "task") != 0)
			err = crm_error_new(CRM_EXIT_FAIL, "activity %lld is "
			    "a%s %s, not a task", (long long)*id,
			    strchr("aeiou", *type) ? "n" : "", type);
		else if (open && done)
			err = crm_error_new(CRM_EXIT_FAIL, "task %lld is "
			    "already done", (long long)*id);
	} else if (rc == SQLITE_DONE)
		err = crm_error_new(CRM_EXIT_FAIL, "no task \"%s\"", ref);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_activity_done(struct crm_db *db, sqlite3_int64 id)
{
	char now[CRM_TIME_LEN], ref[24];
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *changes, *c;

	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	if ((err = crm_activity_resolve_task(db, ref, 1, &id)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, "UPDATE activities SET done_at = ?1,"
	    " updated_at = ?1 WHERE id = ?2", &st)) != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	changes = cJSON_CreateObject();
	c = cJSON_AddObjectToObject(changes, "done_at");
	cJSON_AddNullToObject(c, "old");
	cJSON_AddStringToObject(c, "new", now);
	err = crm_db_event(db, "activity", id, "done", changes);
	cJSON_Delete(changes);
	return err;
}

/* The SQL of q; the parameters are ?1 owner, ?2 ?3 the day, ?4 now. */
static void
tasks_sql(const struct crm_task_query *q, struct crm_buf *sql)
{
	crm_buf_adds(sql, SELECT_SQL " WHERE a.type = 'task'");
	/* Spelt as the partial index is, so that it serves open tasks. */
	if (!q->all)
		crm_buf_adds(sql, " AND a.done_at IS NULL");
	if (q->owner != NULL)
		crm_buf_adds(sql, " AND a.owner = ?1");
	if (q->due_day != NULL && q->overdue)
		crm_buf_adds(sql, " AND ((a.due_at >= ?2 AND a.due_at < ?3)"
		    " OR (a.done_at IS NULL AND a.due_at < ?4))");
	else if (q->due_day != NULL)
		crm_buf_adds(sql, " AND a.due_at >= ?2 AND a.due_at < ?3");
	else if (q->overdue)
		crm_buf_adds(sql, " AND a.done_at IS NULL AND a.due_at < ?4");
	crm_buf_adds(sql, " ORDER BY a.due_at IS NULL, a.due_at, a.id");
}

struct crm_error *
crm_activity_tasks(struct crm_db *db, const struct crm_task_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	char day[CRM_TIME_LEN], next[CRM_TIME_LEN], now[CRM_TIME_LEN];
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;

	if (q->due_day != NULL) {
		if (crm_time_parse(q->due_day, day, NULL) != 0)
			return crm_error_new(CRM_EXIT_USAGE, "--due: invalid "
			    "day \"%s\": expected a date such as 2026-11-22, "
			    "today or +3d", q->due_day);
		memcpy(day + 10, "T00:00:00Z", 11);
		crm_time_add_days(day, 1, next);
	}
	crm_time_now(now);
	tasks_sql(q, &sql);
	err = crm_db_prepare(db, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	if (q->owner != NULL)
		crm_db_bind_text(st, 1, q->owner);
	if (q->due_day != NULL) {
		crm_db_bind_text(st, 2, day);
		crm_db_bind_text(st, 3, next);
	}
	if (q->overdue)
		crm_db_bind_text(st, 4, now);
	return crm_db_each_row(db, st, row_record, fn, arg);
}

struct crm_error *
crm_activity_owners(struct crm_db *db, void (*fn)(const char *, void *),
    void *arg)
{
	return crm_db_each_text(db, "SELECT DISTINCT owner FROM activities"
	    " WHERE owner IS NOT NULL ORDER BY 1", fn, arg);
}
