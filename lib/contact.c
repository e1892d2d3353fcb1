/*
 * Contacts, the read side: the schema, the fields that filters and output
 * know, references, records and lists.  Writes are in contact_edit.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_filter.h"
#include "crm_segment.h"
#include "crm_stream.h"
#include "crm_util.h"

const char crm_contact_schema_1[] =
	"CREATE TABLE contacts ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL DEFAULT 'person'"
	"  CHECK (kind IN ('person', 'company')),"
	" name TEXT NOT NULL DEFAULT '',"
	" email TEXT COLLATE NOCASE,"
	" phone TEXT,"
	" company_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" title TEXT,"
	" stage TEXT NOT NULL DEFAULT 'lead',"
	" owner TEXT,"
	" source TEXT,"
	" external_id TEXT,"
	" fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),"
	" opt_in INTEGER NOT NULL DEFAULT 0,"
	" unsubscribed_at TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	/* Named, not column constraints, so that a bulk import may drop and
	 * rebuild them inside its transaction. */
	"CREATE UNIQUE INDEX contacts_email ON contacts(email);"
	"CREATE UNIQUE INDEX contacts_external_id ON contacts(external_id);"
	"CREATE INDEX contacts_company ON contacts(company_id);"
	"CREATE INDEX contacts_stage ON contacts(stage);"
	"CREATE INDEX contacts_name ON contacts(name);"
	"CREATE TABLE contact_tags ("
	" contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	" tag TEXT NOT NULL,"
	" PRIMARY KEY (contact_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX contact_tags_tag ON contact_tags(tag, contact_id);";

const char *const crm_contact_columns[] = {
	"id", "kind", "name", "email", "phone", "company", "company_id",
	"title", "stage", "owner", "source", "external_id", "tags", "fields",
	"opt_in", "unsubscribed_at", "created_at", "updated_at", NULL
};

const char *const crm_contact_table_columns[] = {
	"id", "kind", "name", "email", "company", "stage", "tags", NULL
};

#define TAGS_SQL "EXISTS (SELECT 1 FROM contact_tags t" \
	" WHERE t.contact_id = c.id AND t.tag %s)"
/* What crm-segment score and rfm computed (lib/score.c). */
#define SCORE_SQL(col) "(SELECT cs." col " FROM contact_scores cs" \
	" WHERE cs.contact_id = c.id)"

static const struct crm_field filter_fields[] = {
	{ "id", "c.id", CRM_FT_INT },
	{ "kind", "c.kind", CRM_FT_TEXT },
	{ "name", "c.name", CRM_FT_TEXT },
	{ "email", "c.email", CRM_FT_TEXT },
	{ "phone", "c.phone", CRM_FT_TEXT },
	{ "company", "co.name", CRM_FT_TEXT },
	{ "company_id", "c.company_id", CRM_FT_INT },
	{ "title", "c.title", CRM_FT_TEXT },
	{ "stage", "c.stage", CRM_FT_TEXT },
	{ "owner", "c.owner", CRM_FT_TEXT },
	{ "source", "c.source", CRM_FT_TEXT },
	{ "external_id", "c.external_id", CRM_FT_TEXT },
	{ "tag", TAGS_SQL, CRM_FT_SET },
	{ "tags", TAGS_SQL, CRM_FT_SET },
	{ "opt_in", "c.opt_in", CRM_FT_BOOL },
	{ "unsubscribed_at", "c.unsubscribed_at", CRM_FT_TIME },
	{ "created_at", "c.created_at", CRM_FT_TIME },
	{ "updated_at", "c.updated_at", CRM_FT_TIME },
	{ "last_activity", "(SELECT max(a.at) FROM activities a"
	    " WHERE a.contact_id = c.id)", CRM_FT_TIME },
	{ "segment", NULL, CRM_FT_NAMED },
	{ "score", SCORE_SQL("score"), CRM_FT_INT },
	{ "rfm_r", SCORE_SQL("rfm_r"), CRM_FT_INT },
	{ "rfm_f", SCORE_SQL("rfm_f"), CRM_FT_INT },
	{ "rfm_m", SCORE_SQL("rfm_m"), CRM_FT_INT },
	{ "rfm_group", SCORE_SQL("rfm_group"), CRM_FT_TEXT },
};

static const struct crm_fieldset fieldset = {
	filter_fields, sizeof(filter_fields) / sizeof(filter_fields[0]),
	"c.fields", crm_segment_expand
};

#define SELECT_SQL "SELECT c.id, c.kind, c.name, c.email, c.phone," \
	" co.name, c.company_id, c.title, c.stage, c.owner, c.source," \
	" c.external_id, (SELECT json_group_array(tag) FROM (SELECT tag" \
	" FROM contact_tags t WHERE t.contact_id = c.id ORDER BY tag))," \
	" c.fields, c.opt_in, c.unsubscribed_at, c.created_at, c.updated_at" \
	" FROM contacts c LEFT JOIN contacts co ON co.id = c.company_id"

const struct crm_fieldset *
crm_contact_fieldset(void)
{
	return &fieldset;
}

/* The record for the current row of a SELECT_SQL statement. */
static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject(), *v;
	const char *text;
	int i;

	for (i = 0; crm_contact_columns[i] != NULL; i++) {
		const char *name = crm_contact_columns[i];

		text = (const char *)sqlite3_column_text(st, i);
		if (strcmp(name, "tags") == 0 || strcmp(name, "fields") == 0) {
			v = cJSON_Parse(text != NULL ? text : "null");
			if (v == NULL)
				v = cJSON_CreateNull();
		} else if (strcmp(name, "opt_in") == 0)
			v = cJSON_CreateBool(sqlite3_column_int(st, i));
		else
			v = crm_db_column_json(st, i);
		cJSON_AddItemToObject(rec, name, v);
	}
	return rec;
}

struct crm_error *
crm_contact_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, SELECT_SQL " WHERE c.id = ?", id, row_record,
	    "contact", rec);
}

struct crm_error *
crm_contact_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	char email[CRM_EMAIL_MAX];
	struct crm_error *err;
	int n;

	if (crm_is_id(ref))
		err = crm_db_lookup(db, "SELECT id FROM contacts WHERE id = ?", ref,
		    id, &n);
	else if (strncmp(ref, "ext:", 4) == 0)
		err = crm_db_lookup(db, "SELECT id FROM contacts WHERE external_id = ?",
		    ref + 4, id, &n);
	else if (strchr(ref, '@') != NULL &&
	    crm_email_normalize(ref, email, sizeof(email), NULL) == 0)
		err = crm_db_lookup(db, "SELECT id FROM contacts WHERE email = ?",
		    email, id, &n);
	else
		n = 0, err = NULL;
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no contact \"%s\"", ref);
	return err;
}

struct crm_error *
crm_contact_list(struct crm_db *db, const struct crm_contact_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	return crm_db_list(db, SELECT_SQL, &fieldset, q->where, q->sort,
	    "c.id", q->limit, row_record, fn, arg);
}

struct crm_error *
crm_contact_values(struct crm_db *db, const char *field,
    void (*fn)(const char *, void *), void *arg)
{
	static const char *const known[][2] = {
		{ "stage", "SELECT DISTINCT stage FROM contacts ORDER BY 1" },
		{ "owner", "SELECT DISTINCT owner FROM contacts"
		    " WHERE owner IS NOT NULL ORDER BY 1" },
		{ "source", "SELECT DISTINCT source FROM contacts"
		    " WHERE source IS NOT NULL ORDER BY 1" },
		{ "tag", "SELECT DISTINCT tag FROM contact_tags ORDER BY 1" },
		{ "kind", "SELECT 'company' UNION SELECT 'person'" },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i][0], field) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return NULL;
	return crm_db_each_text(db, known[i][1], fn, arg);
}

struct crm_error *
crm_contact_flat_columns(struct crm_db *db, struct crm_strv *cols)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char name[300];
	size_t i;
	int rc = SQLITE_DONE;

	err = crm_db_prepare(db, "SELECT DISTINCT j.key FROM contacts c,"
	    " json_each(c.fields) j ORDER BY 1", &st);
	if (err != NULL)
		return err;
	for (i = 0; crm_contact_columns[i] != NULL; i++) {
		if (strcmp(crm_contact_columns[i], "fields") != 0) {
			crm_strv_push(cols, crm_contact_columns[i]);
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(name, sizeof(name), "fields.%s",
			    (const char *)sqlite3_column_text(st, 0));
			crm_strv_push(cols, name);
		}
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}
