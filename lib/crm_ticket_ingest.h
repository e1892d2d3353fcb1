/*
 * Mail in (crm-ticket ingest): one RFC 5322 message, as a mail server's
 * pipe delivery hands it over, becomes a ticket or a comment on one.
 * Owns the tables ticket_attachments (name, type and size of what came
 * attached to a comment) and ticket_mail_refs (every Message-ID an
 * ingested message referred to, so that a reply naming only a message
 * crm never saw still finds its ticket).
 *
 * A reply threads by In-Reply-To, then References (newest first),
 * against the Message-IDs of tickets, comments and ticket_mail_refs,
 * then by a "[#123]" token in the subject.  A delivery report on a mail
 * a ticket sent becomes an internal note on it.  The same Message-ID
 * twice is one comment.  A message that does not parse is kept whole as
 * the body, with a note.  Everything goes into the caller's transaction.
 */
#ifndef CRM_TICKET_INGEST_H
#define CRM_TICKET_INGEST_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_util.h"

struct crm_ingest_opts {
	const char	*queue;		/* of new tickets, or NULL */
	const char	*priority;	/* of new tickets, NULL: normal */
	const char	*sender;	/* the envelope sender, used when the
					   message has no usable From; NULL */
};

struct crm_ingest_result {
	sqlite3_int64	 ticket_id;
	sqlite3_int64	 comment_id;	/* 0 for a duplicate */
	const char	*action;	/* "opened", "commented", "noted"
					   (a bounce: an internal note) or
					   "duplicate"; static */
	char		*message_id;	/* as stored (made up when the
					   message has none) */
	struct crm_strv	 notes;		/* for stderr: what was odd */
};

void	 crm_ingest_result_release(struct crm_ingest_result *r);

/*
 * Ingest raw[0..len), a message of total bytes of which only the first
 * len were read (len < total: truncated, said in the body and a note).
 * An error from the database is CRM_EXIT_TEMPFAIL when retrying may
 * help (busy, locked, disk full, I/O); the caller rolls back.
 */
struct crm_error *crm_ticket_ingest(struct crm_db *db, const char *raw,
	    size_t len, size_t total, const struct crm_ingest_opts *o,
	    struct crm_ingest_result *r);

/* The parse of raw as a record, for --dry-run; cJSON_Delete() it. */
cJSON	*crm_ticket_ingest_preview(const char *raw, size_t len, size_t total);

/*
 * err (may be NULL), its code raised to CRM_EXIT_TEMPFAIL when the last
 * SQLite error on db is one that retrying may cure.
 */
struct crm_error *crm_ticket_ingest_retry(struct crm_db *db,
	    struct crm_error *err);

/*
 * Add an "attachments" array (name, type, size) to each comment of rec,
 * a ticket record with its thread (crm_ticket_get), that has any.
 */
struct crm_error *crm_ticket_attachments(struct crm_db *db, cJSON *rec);

#endif
