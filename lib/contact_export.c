/*
 * crm-contact export as JSON Lines, written straight from the rows:
 * building a cJSON tree per contact and printing it costs more than the
 * query.  The text is byte for byte what crm_contact_list() and the
 * record writer print (cJSON's escapes and number forms), which
 * tests/1101-contact-export.t checks against crm-contact list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"
#include "crm_import.h"
#include "crm_util.h"

#define FLUSH_AT	(256 * 1024)
#define SLOTS		65536	/* company names cached */

/*
 * Tags come joined with the unit separator, which no tag may hold.  The
 * company's name is looked up through a cache rather than joined: the
 * companies are few and scattered through the table, and a join reads a
 * page for each row.  (The join stays for a --where on "company"; SQLite
 * drops it otherwise.)
 */
#define EXPORT_SQL "SELECT c.id, c.kind, c.name, c.email, c.phone," \
	" NULL, c.company_id, c.title, c.stage, c.owner, c.source," \
	" c.external_id, %s," \
	" c.fields, c.opt_in, c.unsubscribed_at, c.created_at, c.updated_at" \
	" FROM contacts c LEFT JOIN contacts co ON co.id = c.company_id" \
	" WHERE (%s) ORDER BY c.id"
#define TAGS_SQL "(SELECT group_concat(tag, char(31)) FROM (SELECT tag" \
	" FROM contact_tags t WHERE t.contact_id = c.id ORDER BY tag))"
/*
 * Without --where, the tags are read alongside, in the order of their
 * primary key, rather than looked up for each contact.
 */
#define ALL_TAGS_SQL "SELECT contact_id, tag FROM contact_tags" \
	" ORDER BY contact_id, tag"

enum { C_COMPANY = 5, C_COMPANY_ID = 6, C_TAGS = 12, C_FIELDS = 13,
	C_OPTIN = 14 };

struct slot {
	sqlite3_int64	 id;
	char		*name;		/* NULL: a company without one */
};

struct export {
	struct crm_db	*db;
	sqlite3_stmt	*name;		/* a company's name by id */
	sqlite3_stmt	*tags;		/* all tags, or NULL */
	int		 tag_row;	/* tags is on a row */
	struct slot	*cache;
	struct crm_buf	 keys[18];	/* ,"key": for each column */
	struct crm_buf	 b;
};

/* A value the way cJSON prints it. */
static void
add_cjson(struct crm_buf *b, cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	crm_buf_adds(b, s != NULL ? s : "null");
	cJSON_free(s);
	cJSON_Delete(v);
}

/* cJSON prints an int exactly; anything bigger its own way. */
static void
add_int(struct crm_buf *b, sqlite3_int64 n)
{
	char d[24], *p = d + sizeof(d);
	unsigned long long u;

	if (n <= -2147483648LL || n >= 2147483647LL) {
		add_cjson(b, cJSON_CreateNumber((double)n));
		return;
	}
	u = n < 0 ? (unsigned long long)-n : (unsigned long long)n;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (n < 0)
		*--p = '-';
	crm_buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

static void
add_column(struct crm_buf *b, sqlite3_stmt *st, int i)
{
	const char *s;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		crm_buf_add(b, "null", 4);
		break;
	case SQLITE_INTEGER:
		add_int(b, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		add_cjson(b, cJSON_CreateNumber(sqlite3_column_double(st, i)));
		break;
	default:
		s = (const char *)sqlite3_column_text(st, i);
		imp_json_string(b, s, (size_t)sqlite3_column_bytes(st, i));
	}
}

/* The tags of contact id from the cursor over all tags. */
static struct crm_error *
merge_tags(struct export *ex, sqlite3_int64 id)
{
	sqlite3_int64 at;
	const char *t;
	int n = 0, rc;

	crm_buf_addch(&ex->b, '[');
	while (ex->tag_row) {
		at = sqlite3_column_int64(ex->tags, 0);
		if (at > id)
			break;
		if (at == id) {
			t = (const char *)sqlite3_column_text(ex->tags, 1);
			if (n++ > 0)
				crm_buf_addch(&ex->b, ',');
			imp_json_string(&ex->b, t, (size_t)sqlite3_column_bytes(
			    ex->tags, 1));
		}
		if ((rc = sqlite3_step(ex->tags)) != SQLITE_ROW) {
			ex->tag_row = 0;
			if (rc != SQLITE_DONE)
				return crm_db_error(ex->db, rc);
		}
	}
	crm_buf_addch(&ex->b, ']');
	return NULL;
}

static void
add_tags(struct crm_buf *b, const char *s)
{
	const char *e;

	crm_buf_addch(b, '[');
	while (s != NULL && *s != '\0') {
		e = strchr(s, '\x1f');
		imp_json_string(b, s, e ? (size_t)(e - s) : strlen(s));
		if (e == NULL)
			break;
		crm_buf_addch(b, ',');
		s = e + 1;
	}
	crm_buf_addch(b, ']');
}

/* A string as cJSON would print it unchanged: no escapes, no controls. */
static const char *
plain_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s != '"'; s++)
		if (*s == '\\' || (unsigned char)*s < 0x20)
			return NULL;
	return s + 1;
}

/*
 * The custom fields: stored text that cJSON would print as it is (an
 * object of plain strings, no blanks) is copied; anything else is parsed
 * and printed, as crm_contact_list() does.
 */
static void
add_fields(struct crm_buf *b, const char *s)
{
	const char *p = s;
	cJSON *v;

	if (s == NULL) {
		crm_buf_add(b, "null", 4);
		return;
	}
	if (strcmp(s, "{}") == 0) {
		crm_buf_add(b, "{}", 2);
		return;
	}
	if (*p++ == '{') {
		while ((p = plain_string(p)) != NULL && *p++ == ':' &&
		    (p = plain_string(p)) != NULL && *p == ',')
			p++;
		if (p != NULL && p[0] == '}' && p[1] == '\0') {
			crm_buf_adds(b, s);
			return;
		}
	}
	add_cjson(b, (v = cJSON_Parse(s)) != NULL ? v : cJSON_CreateNull());
}

/* The name of company id, from the cache or the table. */
static struct crm_error *
add_company(struct export *ex, sqlite3_int64 id)
{
	struct slot *sl = &ex->cache[(size_t)id & (SLOTS - 1)];
	const char *name;
	int rc;

	if (sl->id != id) {
		sqlite3_bind_int64(ex->name, 1, id);
		rc = sqlite3_step(ex->name);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_reset(ex->name);
			return crm_db_error(ex->db, rc);
		}
		name = rc == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(ex->name, 0) : NULL;
		free(sl->name);
		sl->name = name != NULL ? crm_xstrdup(name) : NULL;
		sl->id = id;
		sqlite3_reset(ex->name);
	}
	if (sl->name == NULL)
		crm_buf_add(&ex->b, "null", 4);
	else
		imp_json_string(&ex->b, sl->name, strlen(sl->name));
	return NULL;
}

static struct crm_error *
add_row(struct export *ex, sqlite3_stmt *st)
{
	struct crm_buf *b = &ex->b;
	struct crm_error *err;
	int i;

	for (i = 0; crm_contact_columns[i] != NULL; i++) {
		crm_buf_add(b, ex->keys[i].buf, ex->keys[i].len);
		if (i == C_COMPANY) {
			if (sqlite3_column_type(st, C_COMPANY_ID) ==
			    SQLITE_NULL)
				crm_buf_add(b, "null", 4);
			else if ((err = add_company(ex, sqlite3_column_int64(st,
			    C_COMPANY_ID))) != NULL)
				return err;
		} else if (i == C_TAGS && ex->tags != NULL) {
			if ((err = merge_tags(ex, sqlite3_column_int64(st, 0))))
				return err;
		} else if (i == C_TAGS)
			add_tags(b, (const char *)sqlite3_column_text(st, i));
		else if (i == C_FIELDS)
			add_fields(b, (const char *)sqlite3_column_text(st, i));
		else if (i == C_OPTIN)
			crm_buf_adds(b, sqlite3_column_int(st, i) ? "true" :
			    "false");
		else
			add_column(b, st, i);
	}
	crm_buf_add(b, "}\n", 2);
	return NULL;
}

/* Write b out; 1 when the reader went away (not an error), -1 on error. */
static int
flush(FILE *fp, struct crm_buf *b)
{
	errno = 0;
	if (b->len > 0 && fwrite(b->buf, 1, b->len, fp) != b->len) {
		if (errno != EPIPE)
			return -1;
		clearerr(fp);
		return 1;
	}
	crm_buf_reset(b);
	return 0;
}

static void
export_release(struct export *ex)
{
	size_t i;

	sqlite3_finalize(ex->name);
	sqlite3_finalize(ex->tags);
	for (i = 0; ex->cache != NULL && i < SLOTS; i++)
		free(ex->cache[i].name);
	free(ex->cache);
	for (i = 0; i < sizeof(ex->keys) / sizeof(ex->keys[0]); i++)
		crm_buf_release(&ex->keys[i]);
	crm_buf_release(&ex->b);
}

static struct crm_error *
export_init(struct export *ex, struct crm_db *db)
{
	size_t i;

	memset(ex, 0, sizeof(*ex));
	ex->db = db;
	ex->cache = crm_xcalloc(SLOTS, sizeof(*ex->cache));
	for (i = 0; i < SLOTS; i++)
		ex->cache[i].id = -1;
	for (i = 0; crm_contact_columns[i] != NULL &&
	    i < sizeof(ex->keys) / sizeof(ex->keys[0]); i++) {
		crm_buf_addch(&ex->keys[i], i == 0 ? '{' : ',');
		imp_json_string(&ex->keys[i], crm_contact_columns[i],
		    strlen(crm_contact_columns[i]));
		crm_buf_addch(&ex->keys[i], ':');
	}
	crm_buf_grow(&ex->b, FLUSH_AT + 65536);
	return crm_db_prepare(db, "SELECT name FROM contacts WHERE id = ?",
	    &ex->name);
}

struct crm_error *
crm_contact_export_jsonl(struct crm_db *db, const char *where, FILE *fp)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	struct export ex;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, w = 0, all;

	if ((err = export_init(&ex, db)) != NULL)
		goto done;
	if ((err = crm_filter_compile_in(where != NULL ? where : "",
	    crm_contact_fieldset(), &scope, &f)) != NULL) {
		err = crm_error_prefix(err, "--where");
		goto done;
	}
	all = where == NULL || where[strspn(where, " \t\r\n")] == '\0';
	crm_buf_addf(&q, EXPORT_SQL, all ? "NULL" : TAGS_SQL,
	    crm_filter_sql(f));
	if ((err = crm_db_prepare(db, q.buf, &st)) != NULL ||
	    (all && (err = crm_db_prepare(db, ALL_TAGS_SQL, &ex.tags)) != NULL))
		goto done;
	if (all && (rc = sqlite3_step(ex.tags)) != SQLITE_ROW &&
	    rc != SQLITE_DONE) {
		err = crm_db_error(db, rc);
		goto done;
	}
	ex.tag_row = all && rc == SQLITE_ROW;
	crm_filter_bind(f, st, 1);
	while (w == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = add_row(&ex, st)) != NULL)
			goto done;
		if (ex.b.len >= FLUSH_AT)
			w = flush(fp, &ex.b);
	}
	if (w == 0)
		w = flush(fp, &ex.b);
	if (w == 0 && fflush(fp) != 0) {
		w = errno == EPIPE ? 1 : -1;
		if (w > 0)
			clearerr(fp);
	}
	if (w < 0)
		err = crm_error_new(CRM_EXIT_FAIL, "write error: %s",
		    strerror(errno != 0 ? errno : EIO));
	else if (w == 0 && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	crm_filter_free(f);
	crm_buf_release(&q);
	export_release(&ex);
	return err;
}
