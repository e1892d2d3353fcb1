/*
 * The knowledge base: articles, their full-text index, search, and the
 * articles suggested for a ticket.
 *
 * The index is an external-content FTS5 table over kb_articles: the text
 * lives once, in the articles, and the triggers hand FTS5 the old values
 * it indexed when a row changes or goes.  Tags are stored as a JSON array
 * and indexed as that text, whose punctuation the tokenizer drops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_filter.h"
#include "crm_kb.h"
#include "crm_search.h"
#include "crm_stream.h"
#include "crm_ticket.h"
#include "crm_util.h"

#define FTS_COLS "title, body, tags"
#define FTS_ADD(R) " INSERT INTO kb_fts (rowid, " FTS_COLS ")" \
	" VALUES (" R ".id, " R ".title, " R ".body, " R ".tags);"
#define FTS_DROP(R) " INSERT INTO kb_fts (kb_fts, rowid, " FTS_COLS ")" \
	" VALUES ('delete', " R ".id, " R ".title, " R ".body, " R ".tags);"

const char crm_kb_schema_1[] =
	/* AUTOINCREMENT: a deleted article's id never names another. */
	"CREATE TABLE kb_articles ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" slug TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" tags TEXT NOT NULL DEFAULT '[]',"
	" author TEXT NOT NULL,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	"CREATE VIRTUAL TABLE kb_fts USING fts5(" FTS_COLS ","
	" content = 'kb_articles', content_rowid = 'id',"
	" tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER kb_fts_add AFTER INSERT ON kb_articles"
	" BEGIN" FTS_ADD("new") " END;"
	"CREATE TRIGGER kb_fts_edit AFTER UPDATE OF " FTS_COLS " ON kb_articles"
	" BEGIN" FTS_DROP("old") FTS_ADD("new") " END;"
	"CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_articles"
	" BEGIN" FTS_DROP("old") " END;";

/* bm25 weights of title, body, tags: a word in the title counts most. */
#define RANK "bm25(kb_fts, 10.0, 1.0, 5.0)"

const char *const crm_kb_columns[] = {
	"id", "slug", "title", "body", "tags", "author", "created_at",
	"updated_at", NULL
};

const char *const crm_kb_table_columns[] = {
	"id", "slug", "title", "tags", "updated_at", NULL
};

#define TAGS_SQL "EXISTS (SELECT 1 FROM json_each(a.tags) t" \
	" WHERE t.value %s)"

static const struct crm_field filter_fields[] = {
	{ "id", "a.id", CRM_FT_INT },
	{ "slug", "a.slug", CRM_FT_TEXT },
	{ "title", "a.title", CRM_FT_TEXT },
	{ "body", "a.body", CRM_FT_TEXT },
	{ "tag", TAGS_SQL, CRM_FT_SET },
	{ "tags", TAGS_SQL, CRM_FT_SET },
	{ "author", "a.author", CRM_FT_TEXT },
	{ "created_at", "a.created_at", CRM_FT_TIME },
	{ "updated_at", "a.updated_at", CRM_FT_TIME },
};

static const struct crm_fieldset fieldset = {
	filter_fields, sizeof(filter_fields) / sizeof(filter_fields[0]), NULL,
	NULL
};

#define SELECT_SQL "SELECT a.id, a.slug, a.title, a.body, a.tags," \
	" a.author, a.created_at, a.updated_at FROM kb_articles a"

const struct crm_fieldset *
crm_kb_fieldset(void)
{
	return &fieldset;
}

struct crm_error *
crm_kb_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err;
	int n = 0;

	err = crm_db_lookup(db, crm_is_id(ref) ?
	    "SELECT id FROM kb_articles WHERE id = ?" :
	    "SELECT id FROM kb_articles WHERE slug = ?", ref, id, &n);
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no article \"%s\"", ref);
	return err;
}

static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject(), *v;
	int i;

	for (i = 0; crm_kb_columns[i] != NULL; i++) {
		v = NULL;
		if (i == 4)
			v = cJSON_Parse((const char *)sqlite3_column_text(st,
			    i));
		if (v == NULL)
			v = crm_db_column_json(st, i);
		cJSON_AddItemToObject(rec, crm_kb_columns[i], v);
	}
	return rec;
}

struct crm_error *
crm_kb_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, SELECT_SQL " WHERE a.id = ?", id,
	    row_record, "article", rec);
}

struct crm_error *
crm_kb_list(struct crm_db *db, const struct crm_kb_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	return crm_db_list(db, SELECT_SQL, &fieldset, q->where, q->sort,
	    "a.id", q->limit, row_record, fn, arg);
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* A word byte: an ASCII letter or digit, or part of a UTF-8 letter. */
static int
word_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

/* The slug of title into out: words joined by "-", at most 64 bytes. */
static void
make_slug(const char *title, struct crm_buf *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)title; *p != '\0'; p++) {
		/* Stop at 64, but never inside a UTF-8 character. */
		if (out->len >= 64 && (*p & 0xc0) != 0x80)
			break;
		if (word_byte(*p))
			crm_buf_addch(out, *p >= 'A' && *p <= 'Z' ?
			    *p + 'a' - 'A' : *p);
		else if (out->len > 0 && out->buf[out->len - 1] != '-')
			crm_buf_addch(out, '-');
	}
	while (out->len > 0 && out->buf[out->len - 1] == '-')
		out->buf[--out->len] = '\0';
	if (out->len == 0 || crm_is_id(out->buf))
		crm_buf_adds(out, out->len == 0 ? "article" : "-article");
}

static struct crm_error *
check_slug(const char *slug)
{
	const unsigned char *p = (const unsigned char *)slug;

	for (; *p != '\0'; p++)
		if (!(*p == '-' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p >= 0x80))
			break;
	if (*slug == '\0' || *p != '\0' || *slug == '-' || crm_is_id(slug) ||
	    !crm_utf8_check(slug, strlen(slug), NULL))
		return crm_error_new(CRM_EXIT_USAGE, "--slug: invalid slug "
		    "\"%s\" (use lowercase letters, digits and -, not only "
		    "digits)", slug);
	return NULL;
}

/* The article other than self that has slug, in *id (0: none). */
static struct crm_error *
slug_owner(struct crm_db *db, const char *slug, sqlite3_int64 self,
    sqlite3_int64 *id)
{
	struct crm_error *err;
	int n;

	err = crm_db_lookup(db, "SELECT id FROM kb_articles WHERE slug = ?",
	    slug, id, &n);
	if (err == NULL && *id == self)
		*id = 0;
	return err;
}

/* A free slug for title into out: its slug, else with -2, -3 ... */
static struct crm_error *
free_slug(struct crm_db *db, const char *title, struct crm_buf *out)
{
	struct crm_error *err;
	sqlite3_int64 owner;
	size_t base;
	int i;

	make_slug(title, out);
	base = out->len;
	for (i = 2;; i++) {
		if ((err = slug_owner(db, out->buf, 0, &owner)) != NULL ||
		    owner == 0)
			return err;
		out->len = base;
		crm_buf_addf(out, "-%d", i);
	}
}

/* Tags old (a JSON array) with add appended and untag removed. */
static struct crm_error *
merge_tags(const cJSON *old, const struct crm_strv *add,
    const struct crm_strv *untag, cJSON **tags)
{
	const cJSON *v;
	char *t;
	size_t i;

	*tags = cJSON_CreateArray();
	cJSON_ArrayForEach(v, old)
		if (cJSON_IsString(v) && (untag == NULL ||
		    !crm_strv_has(untag, v->valuestring)))
			cJSON_AddItemToArray(*tags,
			    cJSON_CreateString(v->valuestring));
	for (i = 0; add != NULL && i < add->n; i++) {
		if (blank(add->v[i]))
			return crm_error_new(CRM_EXIT_USAGE, "--tag: a tag is "
			    "empty");
		t = crm_trim(crm_xstrdup(add->v[i]));
		cJSON_ArrayForEach(v, *tags)
			if (strcmp(v->valuestring, t) == 0)
				break;
		if (v == NULL && (untag == NULL || !crm_strv_has(untag, t)))
			cJSON_AddItemToArray(*tags, cJSON_CreateString(t));
		free(t);
	}
	return NULL;
}

/* Write rec's slug, title, body, tags (as insert or update of id). */
static struct crm_error *
store(struct crm_db *db, sqlite3_int64 id, const cJSON *rec)
{
	static const char *const names[] = { "slug", "title", "body" };
	struct crm_error *err;
	sqlite3_stmt *st;
	char now[CRM_TIME_LEN], *tags;
	int i;

	err = crm_db_prepare(db, id == 0 ? "INSERT INTO kb_articles (slug,"
	    " title, body, tags, author, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)" :
	    "UPDATE kb_articles SET slug = ?1, title = ?2, body = ?3,"
	    " tags = ?4, updated_at = ?6 WHERE id = ?7", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	tags = cJSON_PrintUnformatted(cJSON_GetObjectItem(rec, "tags"));
	for (i = 0; i < 3; i++)
		crm_db_bind_text(st, i + 1, cJSON_GetStringValue(
		    cJSON_GetObjectItem(rec, names[i])));
	crm_db_bind_text(st, 4, tags);
	if (id == 0)
		crm_db_bind_text(st, 5, crm_actor());
	crm_db_bind_text(st, 6, now);
	if (id != 0)
		sqlite3_bind_int64(st, 7, id);
	err = crm_db_step_done(db, st);
	cJSON_free(tags);
	return err;
}

struct crm_error *
crm_kb_add(struct crm_db *db, const struct crm_kb_article *a,
    sqlite3_int64 *id)
{
	struct crm_buf slug = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_int64 owner;
	cJSON *rec = cJSON_CreateObject(), *tags = NULL;

	if (blank(a->title))
		err = crm_error_new(CRM_EXIT_USAGE, "an article needs a title "
		    "(--title)");
	else if (blank(a->body))
		err = crm_error_new(CRM_EXIT_USAGE, "an article needs a body "
		    "(--body or stdin)");
	else if (a->slug != NULL)
		err = check_slug(a->slug);
	else
		err = free_slug(db, a->title, &slug);
	if (err == NULL && a->slug != NULL &&
	    (err = slug_owner(db, a->slug, 0, &owner)) == NULL && owner != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "--slug: \"%s\" is taken by "
		    "article %lld", a->slug, (long long)owner);
	if (err == NULL)
		err = merge_tags(NULL, a->tags, NULL, &tags);
	if (err != NULL)
		goto done;
	cJSON_AddStringToObject(rec, "slug", a->slug ? a->slug : slug.buf);
	cJSON_AddStringToObject(rec, "title", a->title);
	cJSON_AddStringToObject(rec, "body", a->body);
	cJSON_AddItemToObject(rec, "tags", tags);
	tags = NULL;
	if ((err = store(db, 0, rec)) != NULL)
		goto done;
	*id = sqlite3_last_insert_rowid(db->sql);
	cJSON_Delete(rec);
	if ((err = crm_kb_get(db, *id, &rec)) == NULL)
		err = crm_db_event(db, "kb_article", *id, "add", rec);
done:
	cJSON_Delete(tags);
	cJSON_Delete(rec);
	crm_buf_release(&slug);
	return err;
}

/* Set field of rec to v (taken over) when it differs, noting it in ch. */
static void
change(cJSON *rec, const char *field, cJSON *v, cJSON *ch)
{
	cJSON *old = cJSON_GetObjectItem(rec, field), *c;

	if (cJSON_Compare(old, v, 1)) {
		cJSON_Delete(v);
		return;
	}
	c = cJSON_AddObjectToObject(ch, field);
	cJSON_AddItemToObject(c, "old", cJSON_Duplicate(old, 1));
	cJSON_AddItemToObject(c, "new", cJSON_Duplicate(v, 1));
	cJSON_ReplaceItemInObject(rec, field, v);
}

static struct crm_error *
edit_checks(struct crm_db *db, sqlite3_int64 id,
    const struct crm_kb_article *a)
{
	struct crm_error *err;
	sqlite3_int64 owner;

	if (a->title != NULL && blank(a->title))
		return crm_error_new(CRM_EXIT_USAGE, "--title: the title is "
		    "empty");
	if (a->body != NULL && blank(a->body))
		return crm_error_new(CRM_EXIT_USAGE, "--body: the body is "
		    "empty");
	if (a->slug == NULL)
		return NULL;
	if ((err = check_slug(a->slug)) == NULL &&
	    (err = slug_owner(db, a->slug, id, &owner)) == NULL && owner != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "--slug: \"%s\" is taken by "
		    "article %lld", a->slug, (long long)owner);
	return err;
}

struct crm_error *
crm_kb_edit(struct crm_db *db, sqlite3_int64 id,
    const struct crm_kb_article *a, int *changed)
{
	struct crm_error *err;
	cJSON *rec = NULL, *ch = cJSON_CreateObject(), *tags;

	if (changed != NULL)
		*changed = 0;
	if ((err = edit_checks(db, id, a)) != NULL ||
	    (err = crm_kb_get(db, id, &rec)) != NULL ||
	    (err = merge_tags(cJSON_GetObjectItem(rec, "tags"), a->tags,
	    a->untags, &tags)) != NULL)
		goto done;
	if (a->slug != NULL)
		change(rec, "slug", cJSON_CreateString(a->slug), ch);
	if (a->title != NULL)
		change(rec, "title", cJSON_CreateString(a->title), ch);
	if (a->body != NULL)
		change(rec, "body", cJSON_CreateString(a->body), ch);
	change(rec, "tags", tags, ch);
	if (ch->child == NULL)
		goto done;
	if (changed != NULL)
		*changed = 1;
	if ((err = store(db, id, rec)) == NULL)
		err = crm_db_event(db, "kb_article", id, "update", ch);
done:
	cJSON_Delete(rec);
	cJSON_Delete(ch);
	return err;
}

struct crm_error *
crm_kb_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;

	if ((err = crm_kb_get(db, id, &rec)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, "DELETE FROM kb_articles WHERE id = ?",
	    &st)) == NULL) {
		sqlite3_bind_int64(st, 1, id);
		if ((err = crm_db_step_done(db, st)) == NULL)
			err = crm_db_event(db, "kb_article", id, "delete", rec);
	}
	cJSON_Delete(rec);
	return err;
}

/* The articles matching the FTS5 query expr, best first. */
static struct crm_error *
match(struct crm_db *db, const char *expr, long limit,
    int (*fn)(const cJSON *, void *), void *arg)
{
	static const char sql[] = "SELECT rowid FROM kb_fts"
	    " WHERE kb_fts MATCH ?1 ORDER BY " RANK ", rowid LIMIT ?2";
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc, stop = 0;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = crm_kb_get(db, sqlite3_column_int64(st, 0), &rec);
		if (err != NULL)
			goto done;
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_kb_search(struct crm_db *db, const char *text, long limit,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf expr = CRM_BUF_INIT;
	struct crm_error *err;

	if (!crm_utf8_check(text, strlen(text), NULL))
		return crm_error_new(CRM_EXIT_USAGE, "invalid UTF-8 in the "
		    "search words");
	if (crm_search_expr(text, &expr) == 0)
		err = crm_error_new(CRM_EXIT_USAGE, "nothing to search for");
	else
		err = match(db, expr.buf, limit, fn, arg);
	crm_buf_release(&expr);
	return err;
}

/* Words too common to tell articles apart; sorted for bsearch. */
static const char *const stop_words[] = {
	"about", "after", "again", "all", "also", "and", "any", "are",
	"because", "been", "before", "best", "but", "can", "cannot",
	"could", "dear", "did", "does", "doing", "don", "for", "from", "get",
	"got", "had", "has", "have", "hello", "her", "here", "him", "his",
	"how", "into", "its", "just", "kind", "many", "more", "most", "much",
	"not", "now", "off", "once", "only", "other", "our", "out", "over",
	"please", "regards", "same", "she", "should", "some", "still",
	"such", "than", "thank", "thanks", "that", "the", "their", "them",
	"then", "there", "these", "they", "this", "those", "through", "too",
	"under", "very", "was", "way", "were", "what", "when", "where",
	"which", "while", "who", "why", "will", "with", "would", "yet", "you",
	"your"
};
#define NSTOP (sizeof(stop_words) / sizeof(stop_words[0]))
#define SUGGEST_WORDS 64

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
crm_kb_suggest_expr(const char *text, struct crm_buf *out)
{
	struct crm_strv seen = CRM_STRV_INIT;
	const char *p = text, *end;
	char *w;
	size_t i, n;

	while (*p != '\0' && seen.n < SUGGEST_WORDS) {
		for (end = p; word_byte((unsigned char)*end); end++)
			;
		if ((n = (size_t)(end - p)) >= 3) {
			w = crm_xstrndup(p, n);
			for (i = 0; i < n; i++)
				if (w[i] >= 'A' && w[i] <= 'Z')
					w[i] += 'a' - 'A';
			if (!crm_strv_has(&seen, w) && bsearch(&w, stop_words,
			    NSTOP, sizeof(*stop_words), cmp_word) == NULL) {
				if (seen.n > 0)
					crm_buf_adds(out, " OR ");
				crm_search_quote(out, w, n);
				crm_strv_push(&seen, w);
			}
			free(w);
		}
		p = *end != '\0' ? end + 1 : end;
	}
	n = seen.n;
	crm_strv_clear(&seen);
	return (int)n;
}

/* The ticket's subject and comments, one text. */
static struct crm_error *
ticket_text(struct crm_db *db, sqlite3_int64 id, struct crm_buf *text)
{
	struct crm_error *err;
	const cJSON *c;
	cJSON *rec;

	if ((err = crm_ticket_get(db, id, 1, &rec)) != NULL)
		return err;
	crm_buf_adds(text, cJSON_GetStringValue(cJSON_GetObjectItem(rec,
	    "subject")));
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(rec, "comments")) {
		crm_buf_addch(text, '\n');
		crm_buf_adds(text, cJSON_GetStringValue(cJSON_GetObjectItem(c,
		    "body")));
	}
	cJSON_Delete(rec);
	return NULL;
}

struct crm_error *
crm_kb_suggest(struct crm_db *db, sqlite3_int64 id, long limit,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf text = CRM_BUF_INIT, expr = CRM_BUF_INIT;
	struct crm_error *err;

	if ((err = ticket_text(db, id, &text)) == NULL &&
	    crm_kb_suggest_expr(crm_buf_str(&text), &expr) > 0)
		err = match(db, expr.buf, limit, fn, arg);
	crm_buf_release(&text);
	crm_buf_release(&expr);
	return err;
}

struct crm_error *
crm_kb_values(struct crm_db *db, const char *field,
    void (*fn)(const char *, void *), void *arg)
{
	if (strcmp(field, "slug") == 0)
		return crm_db_each_text(db, "SELECT slug FROM kb_articles"
		    " ORDER BY 1", fn, arg);
	if (strcmp(field, "tag") == 0)
		return crm_db_each_text(db, "SELECT DISTINCT t.value"
		    " FROM kb_articles a, json_each(a.tags) t ORDER BY 1",
		    fn, arg);
	return NULL;
}
