/*
 * Deal import's writer for new deals (no --upsert): rows checked by
 * deal_apply() go DB_BATCH to an INSERT, so that a statement's own cost
 * (AUTOINCREMENT's bookkeeping among it) is shared by many rows; their
 * add events and tags go in batches alongside, under the ids SQLite will
 * give, known here: one past the highest a deal ever had, then the next
 * (checked as each batch is written).  The batch's strings live in an
 * arena until it is written.
 *
 * Every value is checked before it is bound and every reference is
 * resolved in this transaction, so CHECK constraints and foreign keys
 * are off while the batches load (a foreign key makes SQLite keep a
 * statement journal for every multi-row INSERT).  External ids stay
 * unique through the unique index, and a row whose id is taken is
 * refused with its line before it is bound: an id above every other
 * (exports list them in order) is free; else a Bloom filter of the ids
 * says when it may be taken, and only then is the batch written and the
 * id looked up.
 *
 * Into an empty table, the secondary indexes are built once at the end:
 * filling them row by row in random key order costs more than the rows.
 * In key order it costs little, less than building them: the indexes on
 * contact and company stay while the rows come in their order (no
 * companies, one contact, or sorted by them), and go at the first row out
 * of order.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crm_db.h"
#include "crm_pipeline.h"
#include "crm_util.h"
#include "deal_int.h"

#define DB_BATCH	64
#define DB_COLS		16		/* the columns of a deal */
#define DB_ARENA	(1u << 20)
#define DB_EVENTS	4096		/* add events held back */

enum { B_DEALS, B_EVENTS, B_TAGS, NB };

struct deal_bulk {
	struct deal_cx	*cx;
	struct crm_db	*db;
	int		 empty;		/* the table was: indexes rebuilt */
	int		 fkeys;		/* foreign keys were on */
	sqlite3_stmt	*st[NB];
	int		 n[NB];		/* rows bound to each */
	char		*arena;
	size_t		 arena_len;
	struct crm_buf	 events;	/* theirs, each NUL-terminated */
	int		 nev;		/* how many */
	sqlite3_int64	 ev_id;		/* the first one's deal */
	sqlite3_int64	 next_id;
	int		 sorted;	/* external ids rising so far */
	struct crm_buf	 top;		/* the highest, while they do */
	uint64_t	 est;		/* deals the input may hold */
	struct crm_bloom bloom;		/* then */
	long		 added;
	int		 dropped[3];	/* indexes[i] is to be built */
	sqlite3_int64	 last[3];	/* the highest key in it so far */
};

/*
 * The definitions are those of the schema (deal.c).  Dropped for a load
 * into an empty table, built again at the end.
 */
static const char *const indexes[][2] = {
	{ "DROP INDEX deals_board", "CREATE INDEX deals_board ON"
	    " deals(stage_id, currency, amount, probability)" },
	{ "DROP INDEX deals_contact", "CREATE INDEX deals_contact ON"
	    " deals(contact_id)" },
	{ "DROP INDEX deals_company", "CREATE INDEX deals_company ON"
	    " deals(company_id)" },
};
#define NINDEXES (sizeof(indexes) / sizeof(indexes[0]))
enum { I_BOARD, I_CONTACT, I_COMPANY };

/* DB_BATCH rows of k values each (crm_db_prepare_rows()). */
static struct crm_error *
prepare(struct deal_bulk *b, int which, const char *head, int k,
    const char *where)
{
	return crm_db_prepare_rows(b->db, head, DB_BATCH, k, where,
	    &b->st[which]);
}

/* The parameters before the rows': the time, and the events' actor. */
static void
constants(struct deal_bulk *b)
{
	sqlite3_bind_text(b->st[B_DEALS], 1, b->cx->now, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->st[B_EVENTS], 1, b->cx->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->st[B_EVENTS], 2, b->cx->now, -1, SQLITE_STATIC);
}

static struct crm_error *
statements(struct deal_bulk *b)
{
	struct crm_error *err;

	/* OR FAIL, OR IGNORE: no statement journal for a multi-row INSERT
	 * (nothing aborts that would need undoing). */
	if ((err = prepare(b, B_DEALS, "INSERT OR FAIL INTO deals (title,"
	    " contact_id, company_id, stage_id, amount, currency,"
	    " probability, expected_close, closed_at, lost_reason, owner,"
	    " source, external_id, fields, created_at, updated_at)"
	    " SELECT column1, column2, column3, column4, column5, column6,"
	    " column7, column8, column9, column10, column11, column12,"
	    " column13, column14, coalesce(column15, ?1),"
	    " coalesce(column16, ?1)", DB_COLS,
	    "column1")) != NULL ||
	    (err = prepare(b, B_EVENTS, "INSERT OR FAIL INTO events (entity,"
	    " entity_id, action, actor, at, changes) SELECT 'deal', column1,"
	    " 'add', ?1, ?2, column2", 2, "column1")) != NULL ||
	    (err = prepare(b, B_TAGS, "INSERT OR IGNORE INTO deal_tags"
	    " (deal_id, tag) SELECT *", 2, "column1")) != NULL)
		return err;
	constants(b);
	b->arena = crm_xmalloc(DB_ARENA);
	return NULL;
}

/* Ids are never reused: past the highest a deal ever had. */
static struct crm_error *
first_id(struct deal_bulk *b, sqlite3_int64 *rows)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(b->db, "SELECT count(*), max(coalesce("
	    "(SELECT seq FROM sqlite_sequence WHERE name = 'deals'), 0),"
	    " coalesce(max(id), 0)) FROM deals", &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*rows = sqlite3_column_int64(st, 0);
		b->next_id = sqlite3_column_int64(st, 1) + 1;
	} else
		err = crm_db_error(b->db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *flush(struct deal_bulk *);

/* The highest external id there is, and how many deals in may hold. */
static struct crm_error *
ext_start(struct deal_bulk *b, FILE *in)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct stat sb;
	const char *s;
	int rc;

	/* 50 bytes of input a deal, or more. */
	b->est = 100000;
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		b->est = (uint64_t)sb.st_size / 50;
	b->sorted = 1;
	if ((err = crm_db_prepare(b->db, "SELECT max(external_id) FROM deals",
	    &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (s = (const char *)sqlite3_column_text(st, 0)) != NULL)
		crm_buf_adds(&b->top, s);
	else if (rc != SQLITE_ROW)
		err = crm_db_error(b->db, rc);
	sqlite3_finalize(st);
	return err;
}

/*
 * The first external id out of order: the rows before are written, and
 * the filter, sized for the input, made of the ids there are.
 */
static struct crm_error *
filter(struct deal_bulk *b)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *s;
	int rc;

	b->sorted = 0;
	if ((err = flush(b)) != NULL)
		return err;
	/* 16 bits a deal, those there are (ids up to next_id) and to come. */
	crm_bloom_init(&b->bloom, b->est + (uint64_t)b->next_id, 16);
	if ((err = crm_db_prepare(b->db, "SELECT external_id FROM deals"
	    " WHERE external_id IS NOT NULL", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			crm_bloom_seen(&b->bloom, s, 0, 0);
	if (rc != SQLITE_DONE)
		err = crm_db_error(b->db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
deal_bulk_new(struct deal_cx *cx, FILE *in, struct deal_bulk **out)
{
	struct deal_bulk *b = crm_xcalloc(1, sizeof(*b));
	struct crm_error *err;
	sqlite3_int64 rows = 0;

	*out = b;
	b->cx = cx;
	b->db = cx->db;
	crm_buf_init(&b->events);
	crm_buf_init(&b->top);
	sqlite3_db_config(b->db->sql, SQLITE_DBCONFIG_ENABLE_FKEY, -1,
	    &b->fkeys);
	if ((err = first_id(b, &rows)) != NULL ||
	    (err = ext_start(b, in)) != NULL ||
	    (err = crm_db_exec(b->db, "PRAGMA ignore_check_constraints = ON"))
	    != NULL)
		return err;
	/* Not a pragma: that one does nothing inside a transaction. */
	sqlite3_db_config(b->db->sql, SQLITE_DBCONFIG_ENABLE_FKEY, 0, NULL);
	b->empty = rows == 0;
	if (b->empty) {
		b->dropped[I_BOARD] = 1;
		err = crm_db_exec(b->db, indexes[I_BOARD][0]);
	}
	return err != NULL ? err : statements(b);
}

/*
 * A copy of s that lives until the batch is written: in the arena when
 * it fits, else SQLite's own.
 */
static void
bind_copy(struct deal_bulk *b, sqlite3_stmt *st, int i, const char *s,
    size_t n)
{
	if (b->arena_len + n + 1 > DB_ARENA) {
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT);
		return;
	}
	memcpy(b->arena + b->arena_len, s, n);
	b->arena[b->arena_len + n] = '\0';
	sqlite3_bind_text(st, i, b->arena + b->arena_len, (int)n,
	    SQLITE_STATIC);
	b->arena_len += n + 1;
}

static void
bind_str(struct deal_bulk *b, sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && *s != '\0')
		bind_copy(b, st, i, s, strlen(s));
	else if (s != NULL)
		sqlite3_bind_text(st, i, "", 0, SQLITE_STATIC);
}

static void
bind_id(sqlite3_stmt *st, int i, sqlite3_int64 id)
{
	if (id != 0)
		sqlite3_bind_int64(st, i, id);
}

/* Write what is bound to the batch which, if anything. */
static struct crm_error *
step(struct deal_bulk *b, int which)
{
	sqlite3_stmt *st = b->st[which];
	int rc;

	if (b->n[which] == 0)
		return NULL;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	b->n[which] = 0;
	constants(b);
	return rc == SQLITE_DONE ? NULL : crm_db_error(b->db, rc);
}

/* Write the deals and tags bound so far; the arena is free again. */
static struct crm_error *
flush(struct deal_bulk *b)
{
	struct crm_error *err = NULL;
	int i, rows = b->n[B_DEALS];

	for (i = 0; i < NB && err == NULL; i++) {
		if (i == B_EVENTS)
			continue;
		err = step(b, i);
		/* The ids the events and tags were given are the deals'. */
		if (i == B_DEALS && err == NULL && rows > 0 &&
		    sqlite3_last_insert_rowid(b->db->sql) != b->next_id - 1)
			err = crm_error_new(CRM_EXIT_FAIL, "deal %lld: not the "
			    "id expected", (long long)sqlite3_last_insert_rowid(
			    b->db->sql));
	}
	b->arena_len = 0;
	return err;
}

/* An id as JSON: digits, or null for none (0); no printf a row. */
static void
add_id(struct crm_buf *b, sqlite3_int64 id)
{
	char d[24];
	size_t i = sizeof(d);
	uint64_t v = (uint64_t)id;

	if (id <= 0) {
		crm_buf_adds(b, "null");
		return;
	}
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	crm_buf_add(b, d + i, sizeof(d) - i);
}

/*
 * The add events held back, written DB_BATCH to a statement.  Held back
 * DB_EVENTS at a time, so that the pages of the deals lie in long runs
 * between those of their events: a list reads the deals' pages only.
 */
static struct crm_error *
events(struct deal_bulk *b)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st = b->st[B_EVENTS];
	const char *p = b->events.buf;
	int i, base;

	for (i = 0; i < b->nev && err == NULL; i++) {
		base = 2 + 2 * b->n[B_EVENTS]++;
		sqlite3_bind_int64(st, base + 1, b->ev_id + i);
		sqlite3_bind_text(st, base + 2, p, -1, SQLITE_STATIC);
		p += strlen(p) + 1;
		if (b->n[B_EVENTS] == DB_BATCH || i + 1 == b->nev)
			err = step(b, B_EVENTS);
	}
	crm_buf_reset(&b->events);
	b->nev = 0;
	return err;
}

/* The add event: {"title", "contact_id", "company_id"}, as json_object(). */
static void
event(struct deal_bulk *b, const struct deal_row *r, sqlite3_int64 id)
{
	struct crm_buf *j = &b->events;
	const char *p;

	if (b->nev++ == 0)
		b->ev_id = id;
	crm_buf_adds(j, "{\"title\":\"");
	/* A title holds no control characters (deal_apply). */
	for (p = r->title; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			crm_buf_addch(j, '\\');
		crm_buf_addch(j, *p);
	}
	crm_buf_adds(j, "\",\"contact_id\":");
	add_id(j, r->contact_id);
	crm_buf_adds(j, ",\"company_id\":");
	add_id(j, r->company_id);
	crm_buf_add(j, "}", 2);
}

static struct crm_error *
tags(struct deal_bulk *b, const struct deal_row *r, sqlite3_int64 id)
{
	sqlite3_stmt *st = b->st[B_TAGS];
	struct crm_error *err;
	size_t i;
	int base;

	for (i = 0; i < r->tags.n; i++) {
		/* All three batches go together: the arena is theirs. */
		if (b->n[B_TAGS] == DB_BATCH &&
		    (err = flush(b)) != NULL)
			return err;
		base = 2 * b->n[B_TAGS]++;
		sqlite3_bind_int64(st, base + 1, id);
		bind_str(b, st, base + 2, r->tags.v[i]);
	}
	return NULL;
}

static void
bind_deal(struct deal_bulk *b, const struct deal_row *r, sqlite3_int64 id)
{
	sqlite3_stmt *st = b->st[B_DEALS];
	int base = 1 + DB_COLS * b->n[B_DEALS]++;

	bind_str(b, st, base + 1, r->title);
	bind_id(st, base + 2, r->contact_id);
	bind_id(st, base + 3, r->company_id);
	sqlite3_bind_int64(st, base + 4, r->stage.id);
	if (r->has_amount)
		sqlite3_bind_int64(st, base + 5, r->amount);
	sqlite3_bind_text(st, base + 6, r->cur->code, -1, SQLITE_STATIC);
	if (r->probability >= 0)
		sqlite3_bind_int(st, base + 7, r->probability);
	if (r->expected[0] != '\0')
		bind_str(b, st, base + 8, r->expected);
	if (r->closed_at[0] != '\0')
		bind_str(b, st, base + 9, r->closed_at);
	bind_str(b, st, base + 10, r->reason);
	bind_str(b, st, base + 11, r->owner);
	bind_str(b, st, base + 12, r->source);
	bind_str(b, st, base + 13, r->ext);
	bind_str(b, st, base + 14, r->fields);
	/* Mostly now, which the statement holds: NULL says so. */
	if (strcmp(r->created_at, b->cx->now) != 0)
		bind_str(b, st, base + 15, r->created_at);
	if (strcmp(r->updated_at, b->cx->now) != 0)
		bind_str(b, st, base + 16, r->updated_at);
}

/* Whether external id ext is free; *bad when it is taken. */
static struct crm_error *
ext_free(struct deal_bulk *b, const char *ext, struct crm_error **bad)
{
	struct crm_error *err;

	if (b->sorted && (b->top.len == 0 || strcmp(ext, b->top.buf) > 0)) {
		crm_buf_reset(&b->top);
		crm_buf_adds(&b->top, ext);
		return NULL;
	}
	if (b->sorted && (err = filter(b)) != NULL)
		return err;
	/* May be taken: the rows before written, then looked up. */
	if (crm_bloom_seen(&b->bloom, ext, 0, 0)) {
		if ((err = flush(b)) != NULL)
			return err;
		*bad = deal_check_ext(b->cx, ext, 0);
	}
	return NULL;
}

/* Into an empty table: index i goes when key comes out of its order. */
static struct crm_error *
in_order(struct deal_bulk *b, int i, sqlite3_int64 key)
{
	if (!b->empty || b->dropped[i])
		return NULL;
	if (key >= b->last[i]) {
		b->last[i] = key;
		return NULL;
	}
	b->dropped[i] = 1;
	return crm_db_exec(b->db, indexes[i][0]);
}

struct crm_error *
deal_bulk_add(struct deal_bulk *b, const struct deal_row *r,
    struct crm_error **bad)
{
	struct crm_error *err;
	sqlite3_int64 id;

	*bad = NULL;
	if (r->ext != NULL && (err = ext_free(b, r->ext, bad)) != NULL)
		return err;
	if (*bad != NULL)
		return NULL;
	if ((err = in_order(b, I_CONTACT, r->contact_id)) != NULL ||
	    (err = in_order(b, I_COMPANY, r->company_id)) != NULL)
		return err;
	id = b->next_id++;
	bind_deal(b, r, id);
	event(b, r, id);
	b->added++;
	if ((err = tags(b, r, id)) != NULL)
		return err;
	if (b->n[B_DEALS] == DB_BATCH && (err = flush(b)) != NULL)
		return err;
	if (b->nev == DB_EVENTS)
		return events(b);
	return NULL;
}

/*
 * The rest of the rows, then the indexes.  Statistics let the planner
 * scan deals in id order for a broad filter ("stage = proposal") rather
 * than fetch and sort a tenth of the table through an index: half the
 * time at 500,000 deals.  After a load into an empty table, those of
 * deals_board only, which tell the size of the table and the spread of
 * the stages (a tenth of an import's time for all the indexes); the
 * others' go, being of other deals: lookups by contact or external id
 * need none.
 */
struct crm_error *
deal_bulk_finish(struct deal_bulk *b)
{
	struct crm_error *err;
	size_t i;

	if ((err = flush(b)) != NULL ||
	    (err = events(b)) != NULL ||
	    (err = crm_db_exec(b->db, "PRAGMA ignore_check_constraints = OFF;"
	    " PRAGMA threads = 2")) != NULL)
		return err;
	for (i = 0; i < NINDEXES && err == NULL; i++)
		if (b->dropped[i])
			err = crm_db_exec(b->db, indexes[i][1]);
	if (err == NULL && b->empty)
		err = crm_db_exec(b->db, "ANALYZE deals_board;"
		    " DELETE FROM sqlite_stat1 WHERE tbl = 'deals'"
		    " AND idx IS NOT 'deals_board'");
	else if (err == NULL && b->added >= 10000)
		err = crm_db_exec(b->db, "ANALYZE deals");
	return err;
}

void
deal_bulk_free(struct deal_bulk *b)
{
	size_t i;

	if (b == NULL)
		return;
	sqlite3_db_config(b->db->sql, SQLITE_DBCONFIG_ENABLE_FKEY, b->fkeys,
	    NULL);
	for (i = 0; i < NB; i++)
		sqlite3_finalize(b->st[i]);
	free(b->arena);
	crm_bloom_free(&b->bloom);
	crm_buf_release(&b->events);
	crm_buf_release(&b->top);
	free(b);
}
