/*
 * Full-text search over contacts (crm-contact search): an SQLite FTS5
 * index, contact_search, with one document per contact made of its name,
 * email, company (a person's company's name), tags, custom field values
 * and the subjects and bodies of its activities; unicode61 tokens with
 * diacritics removed, so "Bjorn" finds "Björn".  Owns the index, the view
 * contact_search_docs that makes the documents, and the triggers on
 * contacts, contact_tags and activities that keep it in step with every
 * write, bulk inserts included.
 */
#ifndef CRM_SEARCH_H
#define CRM_SEARCH_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_util.h"

/*
 * The FTS5 query for text typed by a user, appended to out: each
 * blank-separated word quoted as an FTS5 string ("..." with " doubled),
 * so that no word is syntax, all of them required, and the last one also
 * a prefix ("acme renew" gives "acme" AND ("renew" OR "renew"*)).  Returns
 * the number of words; 0 means the text was blank.
 */
int	 crm_search_expr(const char *text, struct crm_buf *out);

/* The word s[0..n) appended to out as an FTS5 string ("..." with "
 * doubled): never syntax, whatever it holds. */
void	 crm_search_quote(struct crm_buf *out, const char *s, size_t n);

/*
 * Call fn with the record (as crm_contact_get() makes it, borrowed for
 * the call) of each contact matching text, best first (bm25: name, then
 * email, company, tags, custom fields, activities), ties by id, at most
 * limit of them (0: all), until fn returns non-zero.  Blank text or
 * invalid UTF-8 is a CRM_EXIT_USAGE error.
 */
struct crm_error *crm_search_contacts(struct crm_db *db, const char *text,
	    long limit, int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Index contact id afresh from the tables (or drop its document when it
 * is gone), in the caller's transaction.
 */
struct crm_error *crm_search_reindex(struct crm_db *db, sqlite3_int64 id);

/*
 * Rebuild the whole index from the tables, in the caller's transaction:
 * about 5 s for a million contacts.
 */
struct crm_error *crm_search_rebuild(struct crm_db *db);

/*
 * Writing many rows.  FTS5 writes its pending changes out at the end of
 * every statement that changes the index, so each row a loader inserts
 * with its own statement costs a small index segment: 100,000 contacts
 * inserted one statement each take 6.5 s with the triggers, 0.55 s
 * without.  A loader that writes many rows does instead, in its one
 * transaction:
 *
 *	struct crm_search_bulk b = CRM_SEARCH_BULK_INIT;
 *	crm_search_suspend(db, &b);	  drops the triggers
 *	... inserts; crm_search_touch(&b, id) for each contact that existed
 *	    before and changed (fields, tags, activities) ...
 *	crm_search_resume(db, &b);	  creates them again and indexes, in
 *					  one go, the contacts added since
 *					  suspend and those touched (1.0 s)
 *	crm_search_bulk_release(&b);	  always, also after a failure
 *
 * A rollback undoes it all.
 *
 * A loader of a million rows sets defer before resume: indexing them
 * takes longer than loading them (15 s against 10), so resume only notes
 * in search_backlog that the contacts added since suspend wait to be
 * indexed, and the next search (crm_search_catch_up()) indexes them.
 * Deferring needs no touched contacts; with some, resume indexes now.
 */
struct crm_search_bulk {
	struct crm_strv	 triggers;	/* the SQL of the dropped triggers */
	sqlite3_int64	 last_id;	/* the highest contact id before */
	struct crm_buf	 touched;	/* JSON array of ids: "[1,5" */
	int		 suspended;
	int		 defer;		/* leave the new ones for later */
};
#define CRM_SEARCH_BULK_INIT { CRM_STRV_INIT, 0, CRM_BUF_INIT, 0, 0 }

struct crm_error *crm_search_suspend(struct crm_db *db,
	    struct crm_search_bulk *b);
void	 crm_search_touch(struct crm_search_bulk *b, sqlite3_int64 id);
struct crm_error *crm_search_resume(struct crm_db *db,
	    struct crm_search_bulk *b);
void	 crm_search_bulk_release(struct crm_search_bulk *b);

/*
 * Index what a deferring loader left, in a transaction of its own (or
 * the caller's); nothing to do is quick.  crm_search_contacts() calls it
 * first.  A read-only database with a backlog is a CRM_EXIT_FAIL error.
 */
struct crm_error *crm_search_catch_up(struct crm_db *db);

/* The contacts waiting: *after is the id above which they are, 0 for
 * all of them, -1 when none waits. */
struct crm_error *crm_search_backlog(struct crm_db *db, sqlite3_int64 *after);

#endif
