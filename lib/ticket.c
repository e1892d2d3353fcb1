/*
 * Tickets, the read side: the schema, the fields filters know,
 * references, records with their thread, lists and completion values.
 * Writes are in ticket_edit.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_filter.h"
#include "crm_ticket.h"
#include "crm_util.h"

const char crm_ticket_schema_1[] =
	/* AUTOINCREMENT: a deleted ticket's number is never given again. */
	"CREATE TABLE tickets ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" subject TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'new' CHECK (status IN"
	" ('new', 'open', 'pending', 'resolved', 'closed')),"
	" priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN"
	" ('low', 'normal', 'high', 'urgent')),"
	" queue TEXT,"
	" channel TEXT,"
	" assignee TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" first_response_at TEXT,"
	" resolved_at TEXT,"
	" closed_at TEXT,"
	" csat INTEGER CHECK (csat BETWEEN 1 AND 5),"
	" csat_comment TEXT,"
	" message_id TEXT);"
	"CREATE INDEX tickets_contact ON tickets(contact_id);"
	"CREATE INDEX tickets_status ON tickets(status, priority);"
	"CREATE INDEX tickets_assignee ON tickets(assignee);"
	/* Mail in threads replies by Message-ID. */
	"CREATE UNIQUE INDEX tickets_message_id ON tickets(message_id);"
	/*
	 * The thread.  contact_id is set when the customer wrote the
	 * comment (the request, mail in), NULL when an agent did: only an
	 * agent's public comment is a response.
	 */
	"CREATE TABLE ticket_comments ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,"
	" contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" author TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" internal INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),"
	" created_at TEXT NOT NULL,"
	" message_id TEXT);"
	"CREATE INDEX ticket_comments_ticket ON ticket_comments(ticket_id, id);"
	"CREATE INDEX ticket_comments_contact ON ticket_comments(contact_id);"
	"CREATE UNIQUE INDEX ticket_comments_message_id"
	" ON ticket_comments(message_id);";

#define COLUMNS \
	"id", "subject", "contact", "contact_id", "status", "priority", \
	"queue", "channel", "assignee", "created_at", "updated_at", \
	"first_response_at", "resolved_at", "closed_at", "csat", \
	"csat_comment", "message_id", "first_response_due", \
	"next_response_due", "next_response_at", "resolution_due", "due", \
	"breached"

const char *const crm_ticket_columns[] = { COLUMNS, NULL };
const char *const crm_ticket_thread_columns[] = { COLUMNS, "comments",
	NULL };

const char *const crm_ticket_table_columns[] = {
	"id", "subject", "contact", "status", "priority", "queue",
	"assignee", "created_at", NULL
};

const char *const crm_ticket_comment_columns[] = {
	"id", "ticket_id", "author", "internal", "body", "created_at",
	"message_id", NULL
};

const char *const crm_ticket_statuses[] = {
	"new", "open", "pending", "resolved", "closed", NULL
};

const char *const crm_ticket_priorities[] = {
	"low", "normal", "high", "urgent", NULL
};

enum { C_ID, C_SUBJECT, C_CONTACT, C_CONTACT_ID, C_STATUS, C_PRIORITY,
	C_QUEUE, C_CHANNEL, C_ASSIGNEE, C_CREATED, C_UPDATED, C_FIRST,
	C_RESOLVED, C_CLOSED, C_CSAT, C_CSAT_COMMENT, C_MESSAGE_ID,
	C_FIRST_DUE, C_NEXT_DUE, C_NEXT_AT, C_RESOLUTION_DUE, C_DUE,
	C_BREACHED, NCOLS };

/* The SQL of each column, over tickets t LEFT JOIN contacts c. */
static const char *const sel[NCOLS] = {
	"t.id", "t.subject", "COALESCE(NULLIF(c.name, ''), c.email)",
	"t.contact_id",
	"t.status", "t.priority", "t.queue", "t.channel", "t.assignee",
	"t.created_at", "t.updated_at", "t.first_response_at",
	"t.resolved_at", "t.closed_at", "t.csat", "t.csat_comment",
	"t.message_id", "t.first_response_due", "t.next_response_due",
	"t.next_response_at", "t.resolution_due", "t.sla_due",
	/* crm_now() honours CRM_NOW (ticket_sla.c registers it). */
	"(t.sla_breach_at IS NOT NULL AND t.sla_breach_at <= crm_now())"
};

static const enum crm_ftype types[NCOLS] = {
	CRM_FT_INT, CRM_FT_TEXT, CRM_FT_TEXT, CRM_FT_INT, CRM_FT_TEXT,
	CRM_FT_TEXT, CRM_FT_TEXT, CRM_FT_TEXT, CRM_FT_TEXT, CRM_FT_TIME,
	CRM_FT_TIME, CRM_FT_TIME, CRM_FT_TIME, CRM_FT_TIME, CRM_FT_INT,
	CRM_FT_TEXT, CRM_FT_TEXT, CRM_FT_TIME, CRM_FT_TIME, CRM_FT_TIME,
	CRM_FT_TIME, CRM_FT_TIME, CRM_FT_BOOL
};

static struct crm_field fields[NCOLS];
static struct crm_fieldset fs = { fields, 0, NULL, NULL };
/* For --sort: priorities by rank, low to urgent, not by name. */
static struct crm_field sort_fields[NCOLS];
static struct crm_fieldset sort_fs = { sort_fields, 0, NULL, NULL };

const struct crm_fieldset *
crm_ticket_fieldset(void)
{
	size_t i;

	if (fs.n > 0)
		return &fs;
	for (i = 0; i < NCOLS; i++) {
		fields[i].name = crm_ticket_columns[i];
		fields[i].sql = sel[i];
		fields[i].type = types[i];
	}
	fs.n = NCOLS;
	memcpy(sort_fields, fields, sizeof(fields));
	sort_fields[C_PRIORITY].sql = "CASE t.priority WHEN 'low' THEN 0"
	    " WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3"
	    " END";
	sort_fs.n = NCOLS;
	return &fs;
}

struct crm_error *
crm_ticket_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err = NULL;
	const char *num = ref;
	int n = 0;

	/* "#12" as people write ticket numbers. */
	if (num[0] == '#')
		num++;
	if (crm_is_id(num))
		err = crm_db_lookup(db, "SELECT id FROM tickets WHERE id = ?",
		    num, id, &n);
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no ticket \"%s\"", ref);
	return err;
}

static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; i < NCOLS; i++)
		cJSON_AddItemToObject(rec, crm_ticket_columns[i],
		    i == C_BREACHED ? cJSON_CreateBool(sqlite3_column_int(st,
		    i)) : crm_db_column_json(st, i));
	return rec;
}

/*
 * Call fn with the record of each ticket matching f (NULL: all) and,
 * when id is not 0, of ticket id, in order, until it returns non-zero.
 */
static struct crm_error *
query(struct crm_db *db, const struct crm_filter *f, const char *order,
    long limit, sqlite3_int64 id, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	cJSON *rec;
	int i, n = 1, rc, stop = 0;

	if ((err = crm_ticket_sla_functions(db)) != NULL)
		return err;
	crm_buf_adds(&sql, "SELECT ");
	for (i = 0; i < NCOLS; i++)
		crm_buf_addf(&sql, "%s%s", i ? ", " : "", sel[i]);
	crm_buf_addf(&sql, " FROM tickets t LEFT JOIN contacts c"
	    " ON c.id = t.contact_id WHERE (%s)%s ORDER BY %s%s",
	    f ? crm_filter_sql(f) : "1", id != 0 ? " AND t.id = ?" : "",
	    order, limit > 0 ? " LIMIT ?" : "");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	if (f != NULL) {
		crm_filter_bind(f, st, n);
		n += crm_filter_nparams(f);
	}
	if (id != 0)
		sqlite3_bind_int64(st, n++, id);
	if (limit > 0)
		sqlite3_bind_int64(st, n++, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec = row_record(st);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	return err;
}

static int
keep_one(const cJSON *rec, void *arg)
{
	*(cJSON **)arg = cJSON_Duplicate(rec, 1);
	return 1;
}

#define COMMENT_SQL "SELECT id, ticket_id, author, internal, body," \
	" created_at, message_id FROM ticket_comments"

static cJSON *
comment_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; crm_ticket_comment_columns[i] != NULL; i++)
		cJSON_AddItemToObject(rec, crm_ticket_comment_columns[i],
		    i == 3 ? cJSON_CreateBool(sqlite3_column_int(st, i)) :
		    crm_db_column_json(st, i));
	return rec;
}

/* The comments of ticket id into the array arr, oldest first. */
static struct crm_error *
thread(struct crm_db *db, sqlite3_int64 id, cJSON *arr)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	err = crm_db_prepare(db, COMMENT_SQL " WHERE ticket_id = ?"
	    " ORDER BY id", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(arr, comment_record(st));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_ticket_get(struct crm_db *db, sqlite3_int64 id, int with_thread,
    cJSON **rec)
{
	struct crm_error *err;

	*rec = NULL;
	err = query(db, NULL, "t.id", 0, id, keep_one, rec);
	if (err == NULL && *rec == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "no ticket %lld",
		    (long long)id);
	if (err == NULL && with_thread)
		err = thread(db, id, cJSON_AddArrayToObject(*rec, "comments"));
	if (err != NULL) {
		cJSON_Delete(*rec);
		*rec = NULL;
	}
	return err;
}

struct crm_error *
crm_ticket_comment_get(struct crm_db *db, sqlite3_int64 cid, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*rec = NULL;
	if ((err = crm_db_prepare(db, COMMENT_SQL " WHERE id = ?", &st)) !=
	    NULL)
		return err;
	sqlite3_bind_int64(st, 1, cid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*rec = comment_record(st);
	else if (rc == SQLITE_DONE)
		err = crm_error_new(CRM_EXIT_FAIL, "no comment %lld",
		    (long long)cid);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_ticket_list(struct crm_db *db, const struct crm_ticket_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_filter *f;
	struct crm_error *err;
	char *order;

	/* Builds sort_fs too. */
	if ((err = crm_list_compile(q->where, q->sort, crm_ticket_fieldset(),
	    &sort_fs, NULL, "t.id", &f, &order)) != NULL)
		return err;
	err = query(db, f, order, q->limit, 0, fn, arg);
	crm_filter_free(f);
	free(order);
	return err;
}

struct crm_error *
crm_ticket_values(struct crm_db *db, const char *field,
    void (*fn)(const char *, void *), void *arg)
{
	static const char *const known[][2] = {
		{ "queue", "SELECT DISTINCT queue FROM tickets"
		    " WHERE queue IS NOT NULL ORDER BY 1" },
		{ "channel", "SELECT DISTINCT channel FROM tickets"
		    " WHERE channel IS NOT NULL ORDER BY 1" },
		{ "assignee", "SELECT DISTINCT assignee FROM tickets"
		    " WHERE assignee IS NOT NULL ORDER BY 1" },
	};
	const char *const *v = NULL;
	size_t i;

	if (strcmp(field, "status") == 0)
		v = crm_ticket_statuses;
	else if (strcmp(field, "priority") == 0)
		v = crm_ticket_priorities;
	for (; v != NULL && *v != NULL; v++)
		fn(*v, arg);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i][0], field) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return NULL;
	return crm_db_each_text(db, known[i][1], fn, arg);
}
