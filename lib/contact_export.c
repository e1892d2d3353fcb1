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

/* Tags come joined with the unit separator, which no tag may hold. */
#define EXPORT_SQL "SELECT c.id, c.kind, c.name, c.email, c.phone," \
	" co.name, c.company_id, c.title, c.stage, c.owner, c.source," \
	" c.external_id, (SELECT group_concat(tag, char(31)) FROM (SELECT tag" \
	" FROM contact_tags t WHERE t.contact_id = c.id ORDER BY tag))," \
	" c.fields, c.opt_in, c.unsubscribed_at, c.created_at, c.updated_at" \
	" FROM contacts c LEFT JOIN contacts co ON co.id = c.company_id" \
	" WHERE (%s) ORDER BY c.id"

enum { C_TAGS = 12, C_FIELDS = 13, C_OPTIN = 14 };

/* A value the way cJSON prints it. */
static void
add_cjson(struct crm_buf *b, cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	crm_buf_adds(b, s != NULL ? s : "null");
	cJSON_free(s);
	cJSON_Delete(v);
}

static void
add_column(struct crm_buf *b, sqlite3_stmt *st, int i)
{
	const char *s;
	sqlite3_int64 n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		crm_buf_add(b, "null", 4);
		break;
	case SQLITE_INTEGER:
		n = sqlite3_column_int64(st, i);
		/* cJSON prints an int exactly; anything bigger its own way. */
		if (n > -2147483648LL && n < 2147483647LL)
			crm_buf_addf(b, "%lld", (long long)n);
		else
			add_cjson(b, cJSON_CreateNumber((double)n));
		break;
	case SQLITE_FLOAT:
		add_cjson(b, cJSON_CreateNumber(sqlite3_column_double(st, i)));
		break;
	default:
		s = (const char *)sqlite3_column_text(st, i);
		imp_json_string(b, s, strlen(s));
	}
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

static void
add_row(struct crm_buf *b, sqlite3_stmt *st)
{
	int i;

	for (i = 0; crm_contact_columns[i] != NULL; i++) {
		crm_buf_addch(b, i == 0 ? '{' : ',');
		imp_json_string(b, crm_contact_columns[i],
		    strlen(crm_contact_columns[i]));
		crm_buf_addch(b, ':');
		if (i == C_TAGS)
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

struct crm_error *
crm_contact_export_jsonl(struct crm_db *db, const char *where, FILE *fp)
{
	struct crm_buf q = CRM_BUF_INIT, b = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, w = 0;

	if ((err = crm_filter_compile(where != NULL ? where : "",
	    crm_contact_fieldset(), &f)) != NULL) {
		err = crm_error_prefix(err, "--where");
		goto done;
	}
	crm_buf_addf(&q, EXPORT_SQL, crm_filter_sql(f));
	if ((err = crm_db_prepare(db, q.buf, &st)) != NULL)
		goto done;
	crm_filter_bind(f, st, 1);
	crm_buf_grow(&b, FLUSH_AT + 4096);
	while (w == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		add_row(&b, st);
		if (b.len >= FLUSH_AT)
			w = flush(fp, &b);
	}
	if (w == 0)
		w = flush(fp, &b);
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
	crm_buf_release(&b);
	return err;
}
