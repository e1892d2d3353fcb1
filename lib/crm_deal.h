/*
 * Deals (crm-deal(1)): a title, a contact and a company, a stage of a
 * pipeline (crm_pipeline.h) whose kind is the deal's status (open, won,
 * lost), an amount in integer minor units of an ISO 4217 currency
 * (crm_money.h), a probability override, dates, owner, source, tags and
 * custom fields.  Owns the tables deals, deal_tags and deal_history.
 *
 * Values to set are a cJSON object of field name to string (null clears),
 * as for contacts: { "title": "Renewal", "amount": "1200.00",
 * "fields.region": "north" }.  A value that is wrong in itself (a
 * malformed amount, an unknown currency, stage or pipeline, a date that
 * does not parse, an unknown field) is a CRM_EXIT_USAGE error; a refusal
 * that depends on the data (no such contact, a win of a lost deal, a
 * stage of another pipeline) is CRM_EXIT_FAIL.
 *
 * Every change goes into the caller's transaction and records an event
 * with entity "deal" whose changes always carry "contact_id" and
 * "company_id" (the deal's, after the change), so that a contact's
 * timeline finds its deals' events.  Every change of stage, status or
 * pipeline also adds a row to the stage history, which keeps the state
 * the deal left: that is what answers --as-of.
 */
#ifndef CRM_DEAL_H
#define CRM_DEAL_H

#include <stdio.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"
#include "crm_pipeline.h"
#include "crm_stream.h"
#include "crm_util.h"

/* The fields of a deal record, in output order; NULL-terminated. */
extern const char *const crm_deal_columns[];
/* The columns a table shows by default. */
extern const char *const crm_deal_table_columns[];
/* The fields values may name (besides fields.NAME). */
extern const char *const crm_deal_writable[];
/* The fields of a stage history record. */
extern const char *const crm_deal_history_columns[];

/* The fields --where and --sort know; as_of: those of an --as-of list. */
const struct crm_fieldset *crm_deal_fieldset(int as_of);

/*
 * The exclusive upper bound of the state --as-of text asks for: the
 * start of the next day for a day ("2026-11-01", "yesterday"), else one
 * second past the time.  CRM_EXIT_USAGE for text that is not a time.
 */
struct crm_error *crm_deal_as_of(const char *text, char bound[CRM_TIME_LEN]);

/* A deal's id ("12") or "ext:EXTERNAL_ID"; none: `no deal "x"`. */
struct crm_error *crm_deal_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/*
 * The record of deal id; as_of (a bound from crm_deal_as_of, or NULL)
 * gives its pipeline, stage, status, closed_at and lost_reason as they
 * were then, and an error when it did not exist yet.  *rec is the
 * caller's to cJSON_Delete().
 */
struct crm_error *crm_deal_get(struct crm_db *db, sqlite3_int64 id,
	    const char *as_of, cJSON **rec);

struct crm_deal_query {
	const char	*where;		/* a filter, or NULL */
	const char	*sort;		/* a --sort list, NULL: id */
	long		 limit;		/* 0: no limit */
	const char	*as_of;		/* a bound, or NULL: now */
};

/* Call fn with each matching record (borrowed) until it returns
 * non-zero.  Bad --where or --sort: CRM_EXIT_USAGE, prefixed. */
struct crm_error *crm_deal_list(struct crm_db *db,
	    const struct crm_deal_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * The same list written to fp as JSON Lines, byte for byte what
 * crm_deal_list() and crm_out give, without building records: the fast
 * path of list and export.  A reader that went away (EPIPE) is no error:
 * *closed is set.
 */
struct crm_error *crm_deal_list_jsonl(struct crm_db *db,
	    const struct crm_deal_query *q, FILE *fp, int *closed);

/*
 * The stage history of deal id as records, oldest first, starting with
 * its creation (from null, actor null).
 */
struct crm_error *crm_deal_history(struct crm_db *db, sqlite3_int64 id,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* Deals in stage sid, or in pipeline pid when sid is 0. */
struct crm_error *crm_deal_count(struct crm_db *db, sqlite3_int64 pid,
	    sqlite3_int64 sid, long *n);

/* Distinct "owner", "source" or "tag" values, sorted, for completion. */
struct crm_error *crm_deal_values(struct crm_db *db, const char *field,
	    void (*fn)(const char *value, void *arg), void *arg);

/* csv/tsv columns: crm_deal_columns with "fields" spread into
 * "fields.NAME" columns for the custom fields in use; appended. */
struct crm_error *crm_deal_flat_columns(struct crm_db *db,
	    struct crm_strv *cols);

/*
 * Add a deal.  Unless given: the default pipeline, its first open stage
 * (or its won or lost stage for "status"), the default currency, and
 * the time now.  "contact" is a contact reference, "company" a reference
 * or a company's name; "tags" a string of tags separated by ";" or ",".
 * Only add takes "status", "closed_at", "lost_reason" and "created_at".
 */
struct crm_error *crm_deal_add(struct crm_db *db, const cJSON *values,
	    sqlite3_int64 *id);

/*
 * Update deal id; *changed (may be NULL) is 1 when anything changed.  A
 * new "stage" or "pipeline" is a move (to an open stage, of an open
 * deal); a new "currency" without an "amount" keeps the face value.
 */
struct crm_error *crm_deal_update(struct crm_db *db, sqlite3_int64 id,
	    const cJSON *values, int *changed);

/* Delete deal id, with its tags and history. */
struct crm_error *crm_deal_delete(struct crm_db *db, sqlite3_int64 id);

/*
 * Move open deal id to the open stage called stage in its pipeline.
 * Win and lose close it (lose needs a reason), reopen puts a closed deal
 * back in stage (NULL: the stage it was closed from, else the first).
 * Doing what is already done is no change (*changed 0), not an error.
 */
struct crm_error *crm_deal_move(struct crm_db *db, sqlite3_int64 id,
	    const char *stage, int *changed);
struct crm_error *crm_deal_win(struct crm_db *db, sqlite3_int64 id,
	    int *changed);
struct crm_error *crm_deal_lose(struct crm_db *db, sqlite3_int64 id,
	    const char *reason, int *changed);
struct crm_error *crm_deal_reopen(struct crm_db *db, sqlite3_int64 id,
	    const char *stage, int *changed);

/* Move every deal in stage from to stage to (for a stage's deletion). */
struct crm_error *crm_deal_restage(struct crm_db *db,
	    const struct crm_stage *from, const struct crm_stage *to,
	    long *moved);

/*
 * The board: per stage of a pipeline, in order, a record {"pipeline",
 * "stage", "probability", "count", "totals": {CUR: "sum"}, "weighted":
 * {CUR: "sum"}, "top": [{"id", "title", "amount", "currency"}...]}.
 * With currency, totals and weighted sums are converted into it (each
 * currency's sum converted and rounded once, half to even) and top is
 * ordered by converted value; else by face value.
 */
struct crm_board_query {
	const char	*pipeline;	/* NULL: the default */
	const char	*currency;	/* NULL: per currency */
	const char	*as_of;		/* a bound, or NULL */
	int		 top;		/* deals per stage */
};
extern const char *const crm_board_columns[];
struct crm_error *crm_deal_board(struct crm_db *db,
	    const struct crm_board_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Import deals from a stream of records (crm-deal(1), import): each is
 * mapped (map: "FROM=TO" items, TO empty to drop FROM), then added, or
 * with upsert updated when its external_id names a deal.  A bad record
 * is handed to report (borrowed error, with "line N: ") and, when
 * rejects is not NULL, written there as it was read; the count goes to
 * rejected and the import goes on.  Fatal errors (I/O, database, a CSV
 * header naming an unknown field) are returned.  The caller owns the
 * transaction: with rejected records and no --on-error skip, or
 * dry_run, it rolls back.
 */
struct crm_deal_import {
	FILE			*in;
	const char		*name;		/* for messages */
	enum crm_input		 kind;
	const struct crm_strv	*map;
	int			 upsert;
	FILE			*rejects;	/* may be NULL */
	void			(*report)(const struct crm_error *err,
				    void *arg);
	void			*arg;
	long			 added, updated, unchanged, rejected;
};
struct crm_error *crm_deal_import(struct crm_db *db,
	    struct crm_deal_import *imp);

#endif
