/*
 * Deals, the write side: the command's context (prepared statements, a
 * memo of references), values parsed into changes, rows read and
 * written.  Checking changes against a row is deal_apply.c; the changes
 * built on all this (add, update, moves, events, history) are deal_move.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_config.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_deal.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "deal_int.h"

const char *const crm_deal_writable[] = {
	"title", "contact", "company", "pipeline", "stage", "status", "amount",
	"currency", "probability", "expected_close", "closed_at",
	"lost_reason", "owner", "source", "external_id", "tags", "created_at",
	NULL
};

static const char *const sql[NSTMT] = {
	"INSERT INTO deals (title, contact_id, company_id, stage_id, amount,"
	" currency, probability, expected_close, closed_at, lost_reason,"
	" owner, source, external_id, fields, created_at, updated_at)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	"UPDATE deals SET title = ?, contact_id = ?, company_id = ?,"
	" stage_id = ?, amount = ?, currency = ?, probability = ?,"
	" expected_close = ?, closed_at = ?, lost_reason = ?, owner = ?,"
	" source = ?, external_id = ?, fields = ?, created_at = ?,"
	" updated_at = ? WHERE id = ?",
	"INSERT OR IGNORE INTO deal_tags (deal_id, tag) VALUES (?, ?)",
	"DELETE FROM deal_tags WHERE deal_id = ?",
	"INSERT INTO deal_history (deal_id, at, actor, from_pipeline,"
	" from_stage_id, from_stage, from_status, from_closed_at, from_reason,"
	" to_pipeline, to_stage_id, to_stage, to_status, to_reason)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	"SELECT id FROM deals WHERE external_id = ?",
};

/* References already resolved: "c\tREF" contacts, "o\tREF" companies,
 * "p\tNAME" pipelines. */
struct memo {
	char		*key;
	sqlite3_int64	 id;
	struct memo	*next;
};
#define MEMO_SIZE 4096

void
deal_cx_init(struct deal_cx *cx, struct crm_db *db)
{
	memset(cx, 0, sizeof(*cx));
	cx->db = db;
	crm_time_now(cx->now);
	/* Looking up the login name costs more than writing a row. */
	cx->actor = crm_xstrdup(crm_actor());
}

void
deal_cx_release(struct deal_cx *cx)
{
	struct memo *m, *next;
	size_t i;

	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(cx->st[i]);
	for (i = 0; cx->memo != NULL && i < MEMO_SIZE; i++)
		for (m = cx->memo[i]; m != NULL; m = next) {
			next = m->next;
			free(m->key);
			free(m);
		}
	free(cx->memo);
	free(cx->actor);
	free(cx->stages);
	free(cx->seen);
	memset(cx, 0, sizeof(*cx));
}

struct crm_error *
deal_stmt(struct deal_cx *cx, int i, sqlite3_stmt **st)
{
	struct crm_error *err;

	if (cx->st[i] == NULL &&
	    (err = crm_db_prepare(cx->db, sql[i], &cx->st[i])) != NULL)
		return err;
	sqlite3_reset(cx->st[i]);
	sqlite3_clear_bindings(cx->st[i]);
	*st = cx->st[i];
	return NULL;
}

static size_t
hash(const char *s)
{
	size_t h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h % MEMO_SIZE;
}

int
deal_memo_get(struct deal_cx *cx, const char *key, sqlite3_int64 *id)
{
	struct memo *m;

	if (cx->memo == NULL)
		return 0;
	for (m = cx->memo[hash(key)]; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0) {
			*id = m->id;
			return 1;
		}
	return 0;
}

void
deal_memo_put(struct deal_cx *cx, const char *key, sqlite3_int64 id)
{
	struct memo *m = crm_xmalloc(sizeof(*m));
	size_t h = hash(key);

	if (cx->memo == NULL)
		cx->memo = crm_xcalloc(MEMO_SIZE, sizeof(*cx->memo));
	m->key = crm_xstrdup(key);
	m->id = id;
	m->next = cx->memo[h];
	cx->memo[h] = m;
}

/* Changes */

static int
field_index(const char *name)
{
	int i;

	if (strcmp(name, "contact_id") == 0)
		return F_CONTACT;
	if (strcmp(name, "company_id") == 0)
		return F_COMPANY;
	for (i = 0; i < NF; i++)
		if (strcmp(crm_deal_writable[i], name) == 0)
			return i;
	return -1;
}

/* "fields.NAME": NAME is [A-Za-z0-9_-]+. */
static int
custom_name(const char *s)
{
	size_t i;

	if (strncmp(s, "fields.", 7) != 0 || s[7] == '\0')
		return 0;
	for (i = 7; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

static struct crm_error *
unknown_field(const char *name)
{
	const char *hint = crm_suggest(name, crm_deal_writable, NF);

	if (hint != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown field \"%s\" "
		    "(did you mean \"%s\"?)", name, hint);
	if (strncmp(name, "fields.", 7) == 0)
		return crm_error_new(CRM_EXIT_USAGE, "invalid custom field "
		    "name \"%s\": use letters, digits, \"_\" and \"-\"", name);
	return crm_error_new(CRM_EXIT_USAGE, "unknown field \"%s\"", name);
}

/* The text of a value (the caller frees it), or NULL for null. */
static struct crm_error *
value_text(const cJSON *v, int f, char **out)
{
	struct crm_buf b = CRM_BUF_INIT;
	const cJSON *it;

	*out = NULL;
	if (cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		*out = crm_trim(crm_xstrdup(v->valuestring));
	else if (cJSON_IsBool(v))
		*out = crm_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v)) {
		/* Money never passes through a binary fraction. */
		if (f == F_AMOUNT && (v->valuedouble != (double)(int64_t)
		    v->valuedouble || v->valuedouble < 0 ||
		    v->valuedouble > 9007199254740992.0))
			return crm_error_new(CRM_EXIT_USAGE, "invalid amount "
			    "%.15g: give amounts as text, such as \"1234.50\"",
			    v->valuedouble);
		crm_buf_addf(&b, v->valuedouble == (double)(int64_t)
		    v->valuedouble ? "%.0f" : "%.15g", v->valuedouble);
		*out = crm_buf_detach(&b);
	} else if (cJSON_IsArray(v) && f == F_TAGS) {
		cJSON_ArrayForEach(it, v)
			if (cJSON_IsString(it))
				crm_buf_addf(&b, "%s;", it->valuestring);
		*out = crm_buf_detach(&b);
	} else
		return crm_error_new(CRM_EXIT_USAGE, "field \"%s\": expected "
		    "a string", v->string);
	return NULL;
}

struct crm_error *
deal_changes_custom(struct deal_changes *ch, const char *name,
    const cJSON *v)
{
	char *text = NULL;
	struct crm_error *err;

	if ((err = value_text(v, -1, &text)) != NULL)
		return err;
	if (text != NULL && !crm_utf8_check(text, strlen(text), NULL)) {
		free(text);
		return crm_error_new(CRM_EXIT_USAGE, "invalid fields.%s: "
		    "invalid UTF-8", name);
	}
	if (ch->custom == NULL)
		ch->custom = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(ch->custom, name);
	cJSON_AddItemToObject(ch->custom, name, text ?
	    cJSON_CreateString(text) : cJSON_CreateNull());
	free(text);
	return NULL;
}

static struct crm_error *
not_here(int f)
{
	if (f == F_CREATED)
		return crm_error_new(CRM_EXIT_USAGE, "created_at cannot be "
		    "changed");
	return crm_error_new(CRM_EXIT_USAGE, "%s cannot be set by update: use "
	    "win, lose or reopen", crm_deal_writable[f]);
}

struct crm_error *
deal_changes_parse(const cJSON *values, int flags, struct deal_changes *ch)
{
	struct crm_error *err;
	const cJSON *v, *it;
	int f;

	memset(ch, 0, sizeof(*ch));
	cJSON_ArrayForEach(v, values) {
		if (strcmp(v->string, "fields") == 0 && cJSON_IsObject(v)) {
			cJSON_ArrayForEach(it, v)
				if ((err = deal_changes_custom(ch,
				    it->string, it)) != NULL)
					return err;
			continue;
		}
		if (custom_name(v->string)) {
			if ((err = deal_changes_custom(ch, v->string + 7,
			    v)) != NULL)
				return err;
			continue;
		}
		if ((f = field_index(v->string)) < 0)
			return unknown_field(v->string);
		if ((f == F_STATUS || f == F_CLOSED || f == F_REASON ||
		    f == F_CREATED) && !(flags & D_STATUS))
			return not_here(f);
		if ((err = deal_changes_field(ch, f, v)) != NULL)
			return err;
	}
	return NULL;
}

struct crm_error *
deal_changes_field(struct deal_changes *ch, int f, const cJSON *v)
{
	free(ch->val[f]);
	ch->set[f] = 1;
	return value_text(v, f, &ch->val[f]);
}

void
deal_changes_release(struct deal_changes *ch)
{
	int i;

	for (i = 0; i < NF; i++)
		free(ch->val[i]);
	cJSON_Delete(ch->custom);
	memset(ch, 0, sizeof(*ch));
}

/* Rows */

void
deal_row_release(struct deal_row *r)
{
	free(r->title);
	free(r->reason);
	free(r->owner);
	free(r->source);
	free(r->ext);
	free(r->fields);
	crm_strv_clear(&r->tags);
	memset(r, 0, sizeof(*r));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? crm_xstrdup(s) : NULL;
}

void
deal_row_copy(struct deal_row *dst, const struct deal_row *src)
{
	size_t i;

	*dst = *src;
	dst->title = dup_or_null(src->title);
	dst->reason = dup_or_null(src->reason);
	dst->owner = dup_or_null(src->owner);
	dst->source = dup_or_null(src->source);
	dst->ext = dup_or_null(src->ext);
	dst->fields = dup_or_null(src->fields);
	memset(&dst->tags, 0, sizeof(dst->tags));
	for (i = 0; i < src->tags.n; i++)
		crm_strv_push(&dst->tags, src->tags.v[i]);
}

static struct crm_error *
default_currency(struct deal_cx *cx)
{
	const char *code;
	struct crm_error *err;

	if (cx->def_cur != NULL)
		return NULL;
	code = crm_config_get("default_currency", NULL, "EUR");
	if ((err = crm_currency_parse(code, &cx->def_cur)) != NULL)
		return crm_error_prefix(err, "default_currency");
	return NULL;
}

struct crm_error *
deal_row_new(struct deal_cx *cx, struct deal_row *r)
{
	struct crm_error *err;

	memset(r, 0, sizeof(*r));
	r->probability = -1;
	r->fields = crm_xstrdup("{}");
	memcpy(r->created_at, cx->now, CRM_TIME_LEN);
	memcpy(r->updated_at, cx->now, CRM_TIME_LEN);
	if ((err = default_currency(cx)) != NULL)
		return err;
	r->cur = cx->def_cur;
	return NULL;
}

#define TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)))

static char *
col_dup(sqlite3_stmt *st, int i)
{
	return dup_or_null(TEXT(st, i));
}

static void
col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
	snprintf(out, n, "%s", TEXT(st, i) ? TEXT(st, i) : "");
}

struct crm_error *
deal_row_load(struct deal_cx *cx, sqlite3_int64 id, struct deal_row *r)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 sid = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	err = crm_db_prepare(cx->db, "SELECT id, title, contact_id, company_id,"
	    " stage_id, amount, currency, probability, expected_close,"
	    " closed_at, lost_reason, owner, source, external_id, fields,"
	    " created_at, updated_at FROM deals WHERE id = ?", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->id = id;
		r->title = col_dup(st, 1);
		r->contact_id = sqlite3_column_int64(st, 2);
		r->company_id = sqlite3_column_int64(st, 3);
		sid = sqlite3_column_int64(st, 4);
		r->has_amount = sqlite3_column_type(st, 5) != SQLITE_NULL;
		r->amount = sqlite3_column_int64(st, 5);
		r->cur = crm_currency_find(TEXT(st, 6));
		r->probability = sqlite3_column_type(st, 7) == SQLITE_NULL ?
		    -1 : sqlite3_column_int(st, 7);
		col_copy(st, 8, r->expected, sizeof(r->expected));
		col_copy(st, 9, r->closed_at, sizeof(r->closed_at));
		r->reason = col_dup(st, 10);
		r->owner = col_dup(st, 11);
		r->source = col_dup(st, 12);
		r->ext = col_dup(st, 13);
		r->fields = col_dup(st, 14);
		col_copy(st, 15, r->created_at, sizeof(r->created_at));
		col_copy(st, 16, r->updated_at, sizeof(r->updated_at));
	} else
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_FAIL,
		    "no deal %lld", (long long)id) : crm_db_error(cx->db, rc);
	sqlite3_finalize(st);
	if (err == NULL && r->cur == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "deal %lld: unknown "
		    "currency in the database", (long long)id);
	if (err == NULL)
		err = crm_stage_get(cx->db, sid, &r->stage);
	return err;
}

/* Writing */

struct crm_error *
deal_check_ext(struct deal_cx *cx, const char *ext, sqlite3_int64 self)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 other;
	int rc;

	if ((err = deal_stmt(cx, S_EXT, &st)) != NULL)
		return err;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	other = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_db_error(cx->db, rc);
	if (other != 0 && other != self)
		return crm_error_new(CRM_EXIT_FAIL, "external id \"%s\" "
		    "already belongs to deal %lld", ext, (long long)other);
	return NULL;
}

static void
bind_id(sqlite3_stmt *st, int i, sqlite3_int64 id)
{
	if (id == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, id);
}

static void
bind_row(sqlite3_stmt *st, const struct deal_row *r)
{
	sqlite3_bind_text(st, 1, r->title, -1, SQLITE_STATIC);
	bind_id(st, 2, r->contact_id);
	bind_id(st, 3, r->company_id);
	sqlite3_bind_int64(st, 4, r->stage.id);
	if (r->has_amount)
		sqlite3_bind_int64(st, 5, r->amount);
	sqlite3_bind_text(st, 6, r->cur->code, -1, SQLITE_STATIC);
	if (r->probability >= 0)
		sqlite3_bind_int(st, 7, r->probability);
	if (r->expected[0] != '\0')
		sqlite3_bind_text(st, 8, r->expected, -1, SQLITE_STATIC);
	if (r->closed_at[0] != '\0')
		sqlite3_bind_text(st, 9, r->closed_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, r->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, r->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, r->ext, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, r->fields, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, r->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, r->updated_at, -1, SQLITE_STATIC);
}

static struct crm_error *
step(struct deal_cx *cx, sqlite3_stmt *st, const struct deal_row *r)
{
	struct crm_error *err;
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return NULL;
	if (rc == SQLITE_CONSTRAINT_UNIQUE && r != NULL && r->ext != NULL &&
	    (err = deal_check_ext(cx, r->ext, r->id)) != NULL)
		return err;
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return crm_error_new(CRM_EXIT_FAIL, "a contact or stage of the "
		    "deal no longer exists");
	return crm_db_error(cx->db, rc);
}

struct crm_error *
deal_write(struct deal_cx *cx, struct deal_row *r, int insert)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i;

	if ((err = deal_stmt(cx, insert ? S_INSERT : S_UPDATE, &st)) != NULL)
		return err;
	bind_row(st, r);
	if (!insert)
		sqlite3_bind_int64(st, 17, r->id);
	if ((err = step(cx, st, r)) != NULL)
		return err;
	if (insert)
		r->id = sqlite3_last_insert_rowid(cx->db->sql);
	if (!r->tags_set || (r->tags.n == 0 && insert))
		return NULL;
	if (!insert) {
		if ((err = deal_stmt(cx, S_UNTAG, &st)) != NULL)
			return err;
		sqlite3_bind_int64(st, 1, r->id);
		if ((err = step(cx, st, NULL)) != NULL)
			return err;
	}
	for (i = 0; i < r->tags.n; i++) {
		if ((err = deal_stmt(cx, S_TAG, &st)) != NULL)
			return err;
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_text(st, 2, r->tags.v[i], -1, SQLITE_STATIC);
		if ((err = step(cx, st, NULL)) != NULL)
			return err;
	}
	return NULL;
}
