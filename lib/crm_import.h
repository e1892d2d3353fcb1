/*
 * Bulk import and export of contacts (crm-contact import, export).
 *
 * Import reads CSV or JSON Lines in one pass and constant memory, maps
 * the columns to contact fields (by name, as the usual CRM exports name
 * them, or as --map says), checks and normalises every value as add and
 * update do, and writes everything in one transaction with one "import"
 * event.  Bad rows are handed to a callback with their line numbers.
 *
 * The second half of this header is shared by the import modules only
 * (import_read.c, import_map.c, import_row.c, import_db.c,
 * contact_import.c, contact_export.c).
 */
#ifndef CRM_IMPORT_H
#define CRM_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "crm_charset.h"
#include "crm_db.h"
#include "crm_error.h"
#include "crm_search.h"
#include "crm_stream.h"
#include "crm_util.h"

struct crm_import_stats {
	long	 imported;	/* rows added as new contacts */
	long	 updated;	/* --upsert: existing contacts changed */
	long	 unchanged;	/* --upsert: matched, nothing to change */
	long	 rejected;	/* bad rows */
	long	 companies;	/* companies created for a company column */
	long	 rows;		/* rows read so far (progress) */
	off_t	 bytes;		/* input bytes read so far (progress) */
	off_t	 size;		/* input size when known, else 0 */
	int	 bulk;		/* indexes were rebuilt after the load */
	/* Seconds spent: loading rows, building the indexes again,
	 * indexing for search, committing. */
	double	 seconds[4];
};

struct crm_import_opts {
	const char	*name;		/* "stdin" or the file name */
	enum crm_input	 input;		/* CRM_IN_AUTO, _CSV or _JSONL */
	enum crm_charset charset;
	int		 delimiter;	/* CSV: ',' unless told */
	const struct crm_strv *map;	/* --map items, "Column=field,..." */
	int		 ignore_unknown; /* drop unknown columns */
	int		 upsert;	/* update contacts that exist */
	int		 key_ext;	/* --key ext: match by external id */
	int		 dry_run;	/* check everything, write nothing */
	int		 skip;		/* --on-error skip: good rows land */
	FILE		*rejects;	/* bad rows go here, or NULL */
	/* A bad row: msg is "line 42: invalid email ...", borrowed. */
	void		(*reject)(const char *msg, void *arg);
	/* Called every few thousand rows with the counts so far. */
	void		(*progress)(const struct crm_import_stats *st,
			    void *arg);
	void		*arg;
};

/*
 * Import the contacts in fp (borrowed, read to the end) into db, in a
 * transaction of its own.  Bad rows go to o->reject (and o->rejects) and
 * are counted in st->rejected; then, without o->skip, or with
 * o->dry_run, nothing is written.  The error returned is for what stops
 * the import as a whole: a usage error in o->map (CRM_EXIT_USAGE), no
 * input, an unreadable header, an unterminated quote, an I/O or database
 * error (nothing is written then, whatever o->skip says).
 */
struct crm_error *crm_contact_import(struct crm_db *db, FILE *fp,
	    const struct crm_import_opts *o, struct crm_import_stats *st);

/*
 * The mapping the import would use for fp (CSV: its header; JSON Lines:
 * the keys of its first 1000 records), without touching a database: fn
 * is called with a record {"column", "field", "how"} per column, borrowed
 * for the call.  "how" is "recognised", "mapped" (--map), "custom",
 * "ignored" or "dropped"; "field" is null for the last two.
 */
struct crm_error *crm_import_show_mapping(FILE *fp,
	    const struct crm_import_opts *o,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Write the contacts matching where (NULL: all) to fp as JSON Lines, in
 * id order, byte for byte the records crm_contact_list() gives, without
 * building them.  A closed pipe stops it quietly.
 */
struct crm_error *crm_contact_export_jsonl(struct crm_db *db,
	    const char *where, FILE *fp);

/* ---- Between the import modules ---- */

#define IMPORT_FIELD_MAX	65536		/* bytes in one value */
#define IMPORT_RECORD_MAX	(4 * 1024 * 1024) /* bytes in one row */

/* What a column becomes. */
enum imp_target {
	T_CUSTOM,	/* fields.NAME */
	T_DROP,		/* --ignore-unknown, or --map COLUMN=- */
	T_IGNORE,	/* crm's own id and company_id */
	T_KIND, T_NAME, T_FIRST, T_LAST, T_EMAIL, T_PHONE, T_COMPANY,
	T_TITLE, T_STAGE, T_OWNER, T_SOURCE, T_EXT, T_TAGS, T_OPTIN,
	T_UNSUB,	/* a true/false "unsubscribed" column */
	T_UNSUB_AT, T_CREATED, T_UPDATED,
	T_FIELDS,	/* a "fields" column of JSON object text */
	T_COUNT
};

struct imp_col {
	char		*column;	/* as in the input */
	enum imp_target	 target;
	char		*custom;	/* T_CUSTOM: the custom field's name */
	const char	*how;		/* "recognised", "mapped", ... */
};

struct imp_map;

/*
 * A mapping from --map (items "Column=field", may be NULL) and the
 * options; NULL and *err (CRM_EXIT_USAGE) for a bad --map.
 */
struct imp_map *imp_map_new(const struct crm_strv *map, int ignore_unknown,
	    struct crm_error **err);
/*
 * The columns of a CSV header, each mapped: cols[i] for column i (owned
 * by m).  A --map naming a column the header lacks is a CRM_EXIT_USAGE
 * error.
 */
struct crm_error *imp_map_header(struct imp_map *m, const char *const *names,
	    size_t n, const struct imp_col **cols);
/*
 * JSON Lines: the keys of the first record, which tell whether "id" is
 * crm's own (a crm export has "kind", "external_id"...); later calls do
 * nothing.  Then the mapping of each key (owned by m, cached; the first
 * key for a field takes it), or NULL past 4096 distinct keys.
 */
void	 imp_map_keys_seen(struct imp_map *m, const char *const *keys,
	    size_t n);
const struct imp_col *imp_map_key(struct imp_map *m, const char *key);
/* The field name of a column for messages: "email", "fields.city". */
const char *imp_col_field(const struct imp_col *c, struct crm_buf *tmp);
void	 imp_map_free(struct imp_map *m);

/* One row as read: n values, each NUL-terminated, with their keys. */
struct imp_row {
	size_t		  n;
	const char	**key;		/* JSONL: key per value; CSV: NULL */
	const char	**val;
	size_t		 *len;
	int		 *json;		/* JSONL: 1 where the value was JSON
					 * text of a string (kept if empty) */
	long		  line;		/* where the row began */
	const char	 *raw;		/* the row as read, for --rejects */
	size_t		  rawlen;	/* 0 when it was too long to keep */
};

struct imp_reader;

struct imp_reader *imp_reader_new(FILE *fp, const struct crm_import_opts *o);
/*
 * The next row: 1 with *row (valid until the next call), 0 at the end,
 * -1 for a bad row with *err ("line 42: ..."; the reader goes on at the
 * next row; row->raw and row->line are set), -2 for an error that ends
 * the input (*err).
 */
int	 imp_reader_next(struct imp_reader *r, struct imp_row *row,
	    struct crm_error **err);
/* CSV: the header names (borrowed) once the first row was asked for. */
const char *const *imp_reader_header(const struct imp_reader *r, size_t *n);
/* CSV: the header line as read, for --rejects; JSONL: NULL. */
const char *imp_reader_header_raw(const struct imp_reader *r, size_t *n);
int	 imp_reader_is_csv(const struct imp_reader *r);
off_t	 imp_reader_bytes(const struct imp_reader *r);
void	 imp_reader_free(struct imp_reader *r);

/* A row checked and normalised, ready for the database. */
struct imp_vals {
	const char	*v[T_COUNT];	/* stored form, NULL when not given */
	const char	*custom;	/* {"name":"value",...}, or NULL */
	const char	*tags;		/* ntags NUL-terminated tags in a row */
	size_t		 ntags;
	int		 unsub;		/* unsubscribed, no time given */
	int		 company;	/* kind company */
};

struct imp_norm;

struct imp_norm *imp_norm_new(void);
void	 imp_norm_free(struct imp_norm *nm);
/*
 * Check and normalise row (mapped by cols for CSV, else by its keys
 * through m) into *out, which points into nm until the next call.  An
 * error says what is wrong, without the line.
 */
struct crm_error *imp_normalise(struct imp_norm *nm, struct imp_map *m,
	    const struct imp_col *cols, const struct imp_row *row,
	    struct imp_vals *out);
/* Append s[0..n) as a JSON string, escaped as cJSON escapes it. */
void	 imp_json_string(struct crm_buf *b, const char *s, size_t n);

/* ---- Reading ahead, in a thread of its own: import_ahead.c ---- */

/* A row as the reader hands it over, its strings copies. */
struct imp_item {
	int		  rc;		/* 1: v; -1: a bad row, err; -2: the
					 * input ends in error, err */
	long		  line;
	const char	 *raw;		/* the row as read, for --rejects */
	size_t		  rawlen;
	struct imp_vals	  v;
	int		  sus_email;	/* bulk: the email or the external */
	int		  sus_ext;	/* id may have been seen before */
	struct crm_error *err;		/* the importer takes it */
};

struct imp;
struct imp_ahead;

/*
 * Start reading ahead from the row imp_reader_next() gave last (rc, row,
 * err, which is taken), with the reader, normaliser and Bloom filter of
 * im: the caller touches none of them until imp_ahead_stop().
 */
struct imp_ahead *imp_ahead_start(struct imp *im, int rc,
	    const struct imp_row *row, struct crm_error *err);
/* The next row in input order, NULL after the last; valid until the next
 * call. */
struct imp_item *imp_ahead_next(struct imp_ahead *a);
/* The input read up to the row imp_ahead_next() gave last, or a little
 * beyond. */
off_t	 imp_ahead_bytes(const struct imp_ahead *a);
/* Stop reading (at the next row), wait, and free a and what was not
 * taken.  NULL is a no-op. */
void	 imp_ahead_stop(struct imp_ahead *a);

/* ---- The writer: contact_import.c and import_db.c ---- */

#define IMP_SLOTS		131072		/* company names cached */
#define IMP_MAX_IDS		1000	/* updated ids listed in the event */
#define IMP_BATCH	64		/* bulk: rows an INSERT writes */
#define IMP_VALUES	16		/* S_INS's 15 values and the id */
#define IMP_ARENA	(1u << 20)	/* bulk: the batch's copies */

enum {
	S_INS, S_MERGE, S_TAG, S_LINE_ADD, S_LINE_FIND, S_SUS_ADD, S_CO_FIND,
	S_CO_ADD, S_CO_DB, S_BY_EMAIL, S_BY_EXT, S_UPSERT, S_TOUCH, S_UPD_ADD,
	S_UPD_FIND, S_COUNT
};

struct imp_slot {
	uint64_t	 h;
	sqlite3_int64	 id;
	char		*name;
	int		 autoc;		/* created by this import, no row yet */
};

struct imp {
	struct crm_db	*db;
	const struct crm_import_opts *o;
	struct crm_import_stats *st;
	struct imp_reader *rd;
	struct imp_map	*map;
	struct imp_norm	*nm;
	const struct imp_col *cols;
	int		 bulk;
	sqlite3_stmt	*batch;		/* bulk: IMP_BATCH rows at a time */
	int		 nbatch;	/* rows bound to it */
	char		*arena;		/* its strings */
	size_t		 arena_len;
	sqlite3_stmt	*tagbatch;	/* bulk: IMP_BATCH tags at a time */
	int		 ntags;		/* tags bound to it */
	sqlite3_int64	 first_id, last_id, delta;
	int		 have_delta;
	char		 now[CRM_TIME_LEN];
	sqlite3_stmt	*s[S_COUNT];
	struct crm_bloom bloom;		/* bulk: emails and external ids */
	struct imp_slot	*cache;
	struct crm_strv	 indexes;	/* bulk: the CREATE INDEX statements */
	struct crm_strv	 triggers;	/* bulk: the suppression triggers */
	cJSON		*upd_ids;
	struct crm_search_bulk search;	/* indexed once, at the end */
	struct crm_buf	 msg;
	int		 header_done;	/* --rejects: CSV header written */
};

/* A contact's values in the order of S_INS's ?1-?15; strings borrowed. */
struct imp_rowvals {
	const char	*s[15];		/* NULL: SQL NULL; [4], [11] unused */
	sqlite3_int64	 co;		/* ?5, the company; 0: NULL */
	int		 opt_in;	/* ?12; -1: NULL */
};
/*
 * Bind r to st's parameters base+1 to base+15: the strings borrowed, or
 * with copy, copied to last until the batch is written.
 */
void	 imp_bind_values(struct imp *im, sqlite3_stmt *st, int base,
	    const struct imp_rowvals *r, int copy);
/*
 * Bulk: a new contact into the batch, under an id given here (*id);
 * the batch is written when full, and by imp_flush(), which writes the
 * tags' batch too.
 */
struct crm_error *imp_batch_add(struct imp *im, const struct imp_rowvals *r,
	    sqlite3_int64 *id);
struct crm_error *imp_flush(struct imp *im);
/* Write the *n rows bound to batch st, if any; *n becomes 0. */
struct crm_error *imp_batch_step(struct imp *im, sqlite3_stmt *st, int *n);
/* Step st once and reset it; an error unless done or a row. */
struct crm_error *imp_step(struct imp *im, sqlite3_stmt *st);
/*
 * Run statement which with text (or, NULL, the integer id) bound: *out
 * the first column of the row, 0 when none; *out2 (may be NULL) the
 * second.
 */
struct crm_error *imp_lookup(struct imp *im, int which, const char *text,
	    sqlite3_int64 id, sqlite3_int64 *out, sqlite3_int64 *out2);
/* Run statement which with (id, line) bound. */
struct crm_error *imp_note_pair(struct imp *im, int which, sqlite3_int64 id,
	    long line);
/* A row written as id on line: noted where line - id changes. */
struct crm_error *imp_note_line(struct imp *im, sqlite3_int64 id, long line);
/* The line on which contact id was written by this import; 0: not. */
struct crm_error *imp_line_of(struct imp *im, sqlite3_int64 id, long *line);
/* A company known by name from now on (autoc: made for a link). */
struct crm_error *imp_co_remember(struct imp *im, const char *name,
	    sqlite3_int64 id, int autoc);
/*
 * The company called name, known to this import or already in the
 * database (the oldest of that name): *id (0 when none), and *autoc when
 * this import made it for a company column.
 */
struct crm_error *imp_co_find(struct imp *im, const char *name,
	    sqlite3_int64 *id, int *autoc);
/* The id of the company a person names, made when there is none. */
struct crm_error *imp_company_id(struct imp *im, const char *name,
	    sqlite3_int64 *id);
/* A bad row: counted, reported, kept for --rejects; err is taken. */
void	 imp_reject(struct imp *im, const char *raw, size_t n,
	    struct crm_error *err);
/* The error for a key another contact holds, or NULL (*fatal: failed). */
struct crm_error *imp_taken(struct imp *im, const char *what,
	    const char *key, sqlite3_int64 other, struct crm_error **fatal);
/* Bulk: keep the CREATE statements of the indexes on contacts, drop them. */
struct crm_error *imp_drop_indexes(struct imp *im);
/* Bulk into a table with rows: their keys and companies are known. */
struct crm_error *imp_preload(struct imp *im);
/* Bulk: build the indexes again, then settle the suspects in line order. */
struct crm_error *imp_rebuild(struct imp *im);

#endif
