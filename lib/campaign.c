/*
 * Campaigns, the definitions: the schema, names, the fields a create or
 * edit sets (templates compiled there, so that a bad one is refused
 * before anything is sent), records, clone and delete.  Sending, the
 * send log and the statistics are in campaign_send.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_db.h"
#include "crm_mail.h"
#include "crm_segment.h"
#include "crm_template.h"
#include "crm_util.h"
#include "campaign_int.h"

const char crm_campaign_schema_1[] =
	"CREATE TABLE campaigns ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" channel TEXT NOT NULL DEFAULT 'email'"
	"  CHECK (channel IN ('email', 'webhook')),"
	" segment_id INTEGER REFERENCES segments(id) ON DELETE SET NULL,"
	" subject TEXT,"
	" from_addr TEXT,"
	" reply_to TEXT,"
	" text_body TEXT,"
	" html_body TEXT,"
	" url TEXT,"
	" json_body TEXT,"
	" opt_in INTEGER NOT NULL DEFAULT 0,"
	" status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft',"
	"  'scheduled', 'sending', 'paused', 'done', 'cancelled')),"
	" scheduled_at TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	/*
	 * The send log: one row a recipient, from the snapshot of the
	 * audience at the first send.  The email is kept as it was sent to.
	 */
	"CREATE TABLE campaign_sends ("
	" id INTEGER PRIMARY KEY,"
	" campaign_id INTEGER NOT NULL"
	"  REFERENCES campaigns(id) ON DELETE CASCADE,"
	" contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" email TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'sent',"
	"  'failed', 'unknown', 'skipped')),"
	" reason TEXT,"
	" message_id TEXT,"
	" reply TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at TEXT,"
	" claimed_at TEXT,"
	" sent_at TEXT,"
	" bounced_at TEXT,"
	" UNIQUE (campaign_id, contact_id));"
	"CREATE INDEX campaign_sends_queue ON campaign_sends(campaign_id,"
	" status, id);"
	"CREATE INDEX campaign_sends_contact ON campaign_sends(contact_id);"
	"ALTER TABLE contacts ADD COLUMN bounced_at TEXT;"
	/*
	 * Drips: a sequence sends its steps' campaigns to each contact of
	 * its segment, each step a number of days after the contact was
	 * enrolled; next_step is the first step not yet queued for it.
	 */
	"CREATE TABLE sequences ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" segment_id INTEGER REFERENCES segments(id) ON DELETE SET NULL,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	"CREATE TABLE sequence_steps ("
	" sequence_id INTEGER NOT NULL"
	"  REFERENCES sequences(id) ON DELETE CASCADE,"
	" step INTEGER NOT NULL,"
	" day INTEGER NOT NULL CHECK (day >= 0),"
	" campaign_id INTEGER NOT NULL REFERENCES campaigns(id),"
	" PRIMARY KEY (sequence_id, step)) WITHOUT ROWID;"
	"CREATE TABLE sequence_enrollments ("
	" sequence_id INTEGER NOT NULL"
	"  REFERENCES sequences(id) ON DELETE CASCADE,"
	" contact_id INTEGER NOT NULL"
	"  REFERENCES contacts(id) ON DELETE CASCADE,"
	" enrolled_at TEXT NOT NULL,"
	" next_step INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (sequence_id, contact_id)) WITHOUT ROWID;"
	"CREATE INDEX sequence_enrollments_contact"
	" ON sequence_enrollments(contact_id);";

/*
 * The boot of the system under which the last run reserved rows of the
 * send log (campaign_send.c): whether a row reserved and not marked
 * tried can have been tried after all.
 */
const char crm_campaign_schema_2[] =
	"ALTER TABLE campaigns ADD COLUMN send_boot TEXT;";

const char *const crm_campaign_columns[] = {
	"id", "name", "channel", "segment", "segment_id", "status",
	"scheduled_at", "subject", "from", "reply_to", "text", "html", "url",
	"body", "opt_in", "created_at", "updated_at", NULL
};

const char *const crm_campaign_table_columns[] = {
	"id", "name", "channel", "segment", "status", "scheduled_at", NULL
};

const char *const crm_campaign_writable[] = {
	"segment", "channel", "subject", "from", "reply_to", "text", "html",
	"url", "body", "opt_in", NULL
};

/* A writable field: its column, and how its text is checked. */
static const struct field {
	const char	*name;
	const char	*column;
	int		 tpl;	/* a template: -1 no, else its mode */
} fields[] = {
	{ "subject", "subject", CRM_TPL_TEXT },
	{ "from", "from_addr", -1 },
	{ "reply_to", "reply_to", -1 },
	{ "text", "text_body", CRM_TPL_TEXT },
	{ "html", "html_body", CRM_TPL_HTML },
	{ "url", "url", CRM_TPL_TEXT },
	{ "body", "json_body", CRM_TPL_JSON },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

#define SELECT_SQL "SELECT k.id, k.name, k.channel, s.name, k.segment_id," \
	" k.status, k.scheduled_at, k.subject, k.from_addr, k.reply_to," \
	" k.text_body, k.html_body, k.url, k.json_body, k.opt_in," \
	" k.created_at, k.updated_at FROM campaigns k" \
	" LEFT JOIN segments s ON s.id = k.segment_id"

struct crm_error *
crm_campaign_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	return crm_db_resolve_name(db, "campaigns", "campaign", ref, id);
}

static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; crm_campaign_columns[i] != NULL; i++)
		cJSON_AddItemToObject(rec, crm_campaign_columns[i],
		    strcmp(crm_campaign_columns[i], "opt_in") == 0 ?
		    cJSON_CreateBool(sqlite3_column_int(st, i)) :
		    crm_db_column_json(st, i));
	return rec;
}

struct crm_error *
crm_campaign_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, SELECT_SQL " WHERE k.id = ?", id,
	    row_record, "campaign", rec);
}

struct crm_error *
crm_campaign_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, SELECT_SQL " ORDER BY k.name", &st)) !=
	    NULL)
		return err;
	return crm_db_each_row(db, st, row_record, fn, arg);
}

/* The text of values' field name (NULL when absent; "" clears). */
static const char *
value(const cJSON *values, const char *name, int *given)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(values, name);

	*given = v != NULL;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static struct crm_error *
check_values(const cJSON *values)
{
	const cJSON *v;
	const char *const *w;

	cJSON_ArrayForEach(v, values) {
		for (w = crm_campaign_writable; *w != NULL; w++)
			if (strcmp(*w, v->string) == 0)
				break;
		if (*w == NULL) {
			const char *hint = crm_suggest(v->string,
			    crm_campaign_writable, (size_t)(w -
			    crm_campaign_writable));

			return crm_error_new(CRM_EXIT_USAGE, "unknown field "
			    "\"%s\"%s%s%s", v->string, hint ?
			    " (did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?)" : "");
		}
		if (!cJSON_IsString(v) && !cJSON_IsNull(v))
			return crm_error_new(CRM_EXIT_USAGE, "%s: expected "
			    "text", v->string);
	}
	return NULL;
}

/* Check one field's text: a template compiles, an address parses. */
static struct crm_error *
check_field(const struct field *f, const char *text)
{
	struct crm_template *t;
	struct crm_error *err;
	char *name, *email;

	if (text == NULL)
		return NULL;
	/* A header: a line break would end it, and start another. */
	if (strcmp(f->name, "subject") == 0 && strpbrk(text, "\r\n") != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "subject: CR or LF in a "
		    "header");
	if (f->tpl >= 0) {
		if ((err = crm_template_parse(text, f->name, &t)) == NULL)
			crm_template_free(t);
		return err;
	}
	if ((err = crm_mail_addr_parse(text, &name, &email)) != NULL) {
		err->code = CRM_EXIT_USAGE;
		return crm_error_prefix(err, "%s", f->name);
	}
	free(name);
	free(email);
	return NULL;
}

/* UPDATE campaigns SET column = text WHERE id. */
static struct crm_error *
set_column(struct crm_db *db, sqlite3_int64 id, const char *column,
    const char *text, sqlite3_int64 num, int is_num)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;

	/* column is one of this file's names, never the user's text. */
	crm_buf_addf(&sql, "UPDATE campaigns SET %s = ? WHERE id = ?", column);
	err = crm_db_prepare(db, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	if (is_num)
		sqlite3_bind_int64(st, 1, num);
	else
		crm_db_bind_text(st, 1, text);
	sqlite3_bind_int64(st, 2, id);
	return crm_db_step_done(db, st);
}

/* Apply values to campaign id; changes collects what changed. */
static struct crm_error *
apply(struct crm_db *db, sqlite3_int64 id, const cJSON *values, int sent)
{
	struct crm_error *err;
	sqlite3_int64 seg;
	const char *s;
	size_t i;
	int given, b;

	if ((err = check_values(values)) != NULL)
		return err;
	s = value(values, "segment", &given);
	if (given) {
		if (sent)
			return crm_error_new(CRM_EXIT_USAGE, "segment: the "
			    "audience was taken when sending began");
		if (s == NULL || *s == '\0')
			return crm_error_new(CRM_EXIT_USAGE, "segment: a "
			    "campaign needs one");
		if ((err = crm_segment_resolve(db, s, &seg)) != NULL ||
		    (err = set_column(db, id, "segment_id", NULL, seg, 1)) !=
		    NULL)
			return err;
	}
	s = value(values, "channel", &given);
	if (given) {
		if (s == NULL || (strcmp(s, "email") != 0 &&
		    strcmp(s, "webhook") != 0))
			return crm_error_new(CRM_EXIT_USAGE, "channel: expected "
			    "email or webhook, got \"%s\"", s ? s : "");
		if ((err = set_column(db, id, "channel", s, 0, 0)) != NULL)
			return err;
	}
	s = value(values, "opt_in", &given);
	if (given) {
		if (s == NULL || (b = crm_parse_bool(s)) < 0)
			return crm_error_new(CRM_EXIT_USAGE, "opt_in: expected "
			    "true or false, got \"%s\"", s ? s : "");
		if ((err = set_column(db, id, "opt_in", NULL, b, 1)) != NULL)
			return err;
	}
	for (i = 0; i < NFIELDS; i++) {
		s = value(values, fields[i].name, &given);
		if (!given)
			continue;
		if (s != NULL && *s == '\0')
			s = NULL;
		if ((err = check_field(&fields[i], s)) != NULL ||
		    (err = set_column(db, id, fields[i].column, s, 0, 0)) !=
		    NULL)
			return err;
	}
	return NULL;
}

/* What a campaign must have to be sent. */
struct crm_error *
campaign_complete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *missing = NULL;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT channel, segment_id IS NULL,"
	    " subject IS NULL, from_addr IS NULL,"
	    " text_body IS NULL AND html_body IS NULL, url IS NULL,"
	    " json_body IS NULL, name FROM campaigns WHERE id = ?", &st)) !=
	    NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_USAGE,
		    "no campaign %lld", (long long)id) : crm_db_error(db, rc);
		sqlite3_finalize(st);
		return err;
	}
	if (sqlite3_column_int(st, 1))
		missing = "--segment";
	else if (strcmp((const char *)sqlite3_column_text(st, 0), "email") ==
	    0) {
		if (sqlite3_column_int(st, 2))
			missing = "--subject";
		else if (sqlite3_column_int(st, 3))
			missing = "--from";
		else if (sqlite3_column_int(st, 4))
			missing = "--text or --html";
	} else if (sqlite3_column_int(st, 5))
		missing = "--url";
	else if (sqlite3_column_int(st, 6))
		missing = "--body";
	if (missing != NULL)
		err = crm_error_new(CRM_EXIT_USAGE, "campaign \"%s\" needs %s",
		    (const char *)sqlite3_column_text(st, 7), missing);
	sqlite3_finalize(st);
	return err;
}

static cJSON *
changes_of(const cJSON *values)
{
	return cJSON_Duplicate(values, 1);
}

static struct crm_error *
event(struct crm_db *db, sqlite3_int64 id, const char *action, cJSON *c)
{
	struct crm_error *err = crm_db_event(db, "campaign", id, action, c);

	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_campaign_create(struct crm_db *db, const char *name, const cJSON *values,
    sqlite3_int64 *id)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;

	*id = 0;
	if ((err = crm_db_name_free(db, "campaigns", "campaign", name, 0)) !=
	    NULL)
		return err;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO campaigns (name,"
	    " created_at, updated_at) VALUES (?, ?, ?)", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, name);
	crm_db_bind_text(st, 2, now);
	crm_db_bind_text(st, 3, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*id = sqlite3_last_insert_rowid(db->sql);
	if ((err = apply(db, *id, values, 0)) != NULL ||
	    (err = campaign_complete(db, *id)) != NULL)
		return err;
	return event(db, *id, "add", changes_of(values));
}

/* Whether campaign id has its audience taken (sending began). */
static struct crm_error *
begun(struct crm_db *db, sqlite3_int64 id, int *yes, int *sent)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT count(*), count(*) FILTER"
	    " (WHERE status IN ('sent', 'unknown')) FROM campaign_sends"
	    " WHERE campaign_id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*yes = sqlite3_column_int(st, 0) > 0;
		if (sent != NULL)
			*sent = sqlite3_column_int(st, 1) > 0;
	} else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_campaign_edit(struct crm_db *db, sqlite3_int64 id, const cJSON *values)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	int yes;

	crm_time_now(now);
	if ((err = begun(db, id, &yes, NULL)) != NULL ||
	    (err = apply(db, id, values, yes)) != NULL ||
	    (err = campaign_complete(db, id)) != NULL ||
	    (err = set_column(db, id, "updated_at", now, 0, 0)) != NULL)
		return err;
	return event(db, id, "update", changes_of(values));
}

struct crm_error *
crm_campaign_clone(struct crm_db *db, sqlite3_int64 id, const char *name,
    sqlite3_int64 *out)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *c;

	*out = 0;
	if ((err = crm_db_name_free(db, "campaigns", "campaign", name, 0)) !=
	    NULL)
		return err;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO campaigns (name, channel,"
	    " segment_id, subject, from_addr, reply_to, text_body, html_body,"
	    " url, json_body, opt_in, created_at, updated_at)"
	    " SELECT ?1, channel, segment_id, subject, from_addr, reply_to,"
	    " text_body, html_body, url, json_body, opt_in, ?2, ?2"
	    " FROM campaigns WHERE id = ?3", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, name);
	crm_db_bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*out = sqlite3_last_insert_rowid(db->sql);
	c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "clone_of", (double)id);
	return event(db, *out, "add", c);
}

/* The status of campaign id into st (CRM_TIME_LEN is plenty). */
static struct crm_error *
status_of(struct crm_db *db, sqlite3_int64 id, char st[16], char name[80])
{
	struct crm_error *err;
	sqlite3_stmt *s;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT status, name FROM campaigns"
	    " WHERE id = ?", &s)) != NULL)
		return err;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(st, 16, "%s", sqlite3_column_text(s, 0));
		snprintf(name, 80, "%s", sqlite3_column_text(s, 1));
	} else
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_USAGE,
		    "no campaign %lld", (long long)id) : crm_db_error(db, rc);
	sqlite3_finalize(s);
	return err;
}

static struct crm_error *
set_status(struct crm_db *db, sqlite3_int64 id, const char *status,
    const char *at, int set_at, const char *action)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *c;

	crm_time_now(now);
	if ((err = crm_db_prepare(db, "UPDATE campaigns SET status = ?2,"
	    " scheduled_at = CASE WHEN ?4 THEN ?3 ELSE scheduled_at END,"
	    " updated_at = ?5 WHERE id = ?1", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, status);
	crm_db_bind_text(st, 3, at);
	sqlite3_bind_int(st, 4, set_at);
	crm_db_bind_text(st, 5, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "status", status);
	if (set_at)
		cJSON_AddStringToObject(c, "scheduled_at", at);
	return event(db, id, action, c);
}

struct crm_error *
crm_campaign_schedule(struct crm_db *db, sqlite3_int64 id, const char *at)
{
	char st[16], name[80], t[CRM_TIME_LEN];
	struct crm_error *err;

	if (crm_time_parse(at, t, NULL) != 0)
		return crm_error_new(CRM_EXIT_USAGE, "expected a time such as "
		    "2026-12-01T09:00 or +2h, got \"%s\"", at);
	if ((err = status_of(db, id, st, name)) != NULL ||
	    (err = campaign_complete(db, id)) != NULL)
		return err;
	if (strcmp(st, "draft") != 0 && strcmp(st, "scheduled") != 0)
		return crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" is %s: "
		    "only a draft or a scheduled one is scheduled", name, st);
	return set_status(db, id, "scheduled", t, 1, "schedule");
}

struct crm_error *
crm_campaign_control(struct crm_db *db, sqlite3_int64 id, const char *action)
{
	char st[16], name[80];
	struct crm_error *err;
	int yes;

	if ((err = status_of(db, id, st, name)) != NULL)
		return err;
	if (strcmp(action, "pause") == 0) {
		if (strcmp(st, "paused") == 0)
			return NULL;
		if (strcmp(st, "scheduled") != 0 && strcmp(st, "sending") != 0)
			return crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" is "
			    "%s: only a scheduled or sending one pauses", name,
			    st);
		return set_status(db, id, "paused", NULL, 0, "pause");
	}
	if (strcmp(action, "resume") == 0) {
		if (strcmp(st, "paused") != 0)
			return strcmp(st, "scheduled") == 0 ||
			    strcmp(st, "sending") == 0 ? NULL :
			    crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" is "
			    "%s, not paused", name, st);
		/* Back to sending once the audience was taken. */
		if ((err = begun(db, id, &yes, NULL)) != NULL)
			return err;
		return set_status(db, id, yes ? "sending" : "scheduled", NULL,
		    0, "resume");
	}
	if (strcmp(st, "cancelled") == 0)
		return NULL;
	if (strcmp(st, "done") == 0)
		return crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" is done: "
		    "nothing left to cancel", name);
	return set_status(db, id, "cancelled", NULL, 0, "cancel");
}

struct crm_error *
crm_campaign_due(struct crm_db *db,
    void (*fn)(sqlite3_int64, const char *, void *), void *arg)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	crm_time_now(now);
	if ((err = crm_db_prepare(db, "SELECT id, name FROM campaigns"
	    " WHERE status = 'sending' OR (status = 'scheduled'"
	    " AND scheduled_at <= ?) ORDER BY id", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), arg);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_campaign_users(struct crm_db *db, sqlite3_int64 segment,
    struct crm_buf *names)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT name FROM campaigns"
	    " WHERE segment_id = ? AND status IN ('scheduled', 'sending')"
	    " ORDER BY name", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, segment);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_buf_addf(names, "%s\"%s\"", names->len ? ", " : "",
		    (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_campaign_delete(struct crm_db *db, sqlite3_int64 id, int force)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int yes, sent;

	if ((err = begun(db, id, &yes, &sent)) != NULL)
		return err;
	if (sent && !force)
		return crm_error_new(CRM_EXIT_FAIL, "campaign %lld has sent "
		    "mail: its send log is what keeps a resend from reaching "
		    "anyone twice (use --force to delete it anyway)",
		    (long long)id);
	if ((err = crm_db_prepare(db, "DELETE FROM campaigns WHERE id = ?",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	return event(db, id, "delete", NULL);
}
