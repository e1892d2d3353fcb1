/*
 * Tickets (crm-ticket(1)): a helpdesk request from a contact, with a
 * subject, a status (new, open, pending, resolved, closed), a priority
 * (low, normal, high, urgent), a queue, a channel, an assignee, the times
 * that SLA policies measure (first_response_at, resolved_at, closed_at),
 * a CSAT rating, and a thread of comments: public replies and internal
 * notes.  Owns the tables tickets and ticket_comments.
 *
 * Lifecycle: a ticket opens as "new"; the first public comment by an
 * agent sets first_response_at and makes a new ticket "open"; resolving
 * sets resolved_at, closing closed_at (and resolved_at when unset).  A
 * closed ticket changes only by reopen; only resolved and closed tickets
 * reopen or take a rating.  A refusal that depends on the ticket's state
 * is CRM_EXIT_FAIL; a value wrong in itself (an unknown status or
 * priority) is CRM_EXIT_USAGE.  Doing what is already done is no change
 * (*changed 0), not an error.
 *
 * Every change goes into the caller's transaction and records an event
 * with entity "ticket" whose changes always carry "contact_id" (the
 * ticket's), so that a contact's timeline finds its tickets' events.
 */
#ifndef CRM_TICKET_H
#define CRM_TICKET_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"

/* The fields of a ticket record, in output order; NULL-terminated. */
extern const char *const crm_ticket_columns[];
/* The same, then "comments": a record with its thread. */
extern const char *const crm_ticket_thread_columns[];
/* The columns a table shows by default. */
extern const char *const crm_ticket_table_columns[];
/* The fields of a comment record. */
extern const char *const crm_ticket_comment_columns[];
/* The statuses and priorities, in order; NULL-terminated. */
extern const char *const crm_ticket_statuses[];
extern const char *const crm_ticket_priorities[];

/* The fields --where and --sort know. */
const struct crm_fieldset *crm_ticket_fieldset(void);

/* A ticket's id ("12"); none: CRM_EXIT_FAIL `no ticket "x"`. */
struct crm_error *crm_ticket_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/*
 * The record of ticket id; with thread, a "comments" array of comment
 * records too, oldest first.  *rec is the caller's to cJSON_Delete().
 */
struct crm_error *crm_ticket_get(struct crm_db *db, sqlite3_int64 id,
	    int thread, cJSON **rec);

struct crm_ticket_query {
	const char	*where;		/* a filter, or NULL */
	const char	*sort;		/* a --sort list, or NULL: by id */
	long		 limit;		/* 0: no limit */
};

/*
 * Call fn with each matching record (borrowed for the call) until it
 * returns non-zero.  A bad --where or --sort is a CRM_EXIT_USAGE error
 * prefixed "--where" or "--sort".
 */
struct crm_error *crm_ticket_list(struct crm_db *db,
	    const struct crm_ticket_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * The distinct values of "status" or "priority" (all of them), or those
 * in use for "queue", "channel" or "assignee", sorted, for completion.
 */
struct crm_error *crm_ticket_values(struct crm_db *db, const char *field,
	    void (*fn)(const char *value, void *arg), void *arg);

/* What open takes; every string borrowed, NULL when not given. */
struct crm_ticket_new {
	const char	*contact;	/* a contact reference; required */
	const char	*subject;	/* required */
	const char	*body;		/* the request, the first comment */
	const char	*priority;	/* NULL: normal */
	const char	*queue;
	const char	*channel;
	const char	*assignee;
	const char	*message_id;	/* of the mail it came from */
};

/*
 * Open a ticket.  The contact is resolved with crm_contact_resolve(); an
 * email that names no contact adds one (crm_contact_add) in the same
 * transaction.  A body becomes the first comment, public, written by the
 * contact (it is not a response).  The new id goes to *id.
 */
struct crm_error *crm_ticket_open(struct crm_db *db,
	    const struct crm_ticket_new *t, sqlite3_int64 *id);

/*
 * Add a comment by the acting user (crm_actor()) to ticket id: a public
 * reply, or an internal note.  The first public one sets
 * first_response_at and makes a new ticket open.  A closed ticket takes
 * no comments.  The comment's id goes to *cid (may be NULL).
 */
struct crm_error *crm_ticket_comment(struct crm_db *db, sqlite3_int64 id,
	    const char *body, int internal, sqlite3_int64 *cid);

/* A comment, in full; every string borrowed. */
struct crm_ticket_note {
	const char	*body;		/* required */
	int		 internal;	/* an internal note, never a reply */
	sqlite3_int64	 contact_id;	/* the customer wrote it (mail in),
					   signed with its email; 0: the
					   acting user (crm_actor()) */
	const char	*message_id;	/* of the mail it came in or went out
					   as; unique among comments */
};

/*
 * Add comment n to ticket id.  An agent's first public comment sets
 * first_response_at and makes a new ticket open; a customer's comment
 * brings a pending or resolved ticket back to open.  A closed ticket
 * takes no comments.  The comment's id goes to *cid (may be NULL).
 */
struct crm_error *crm_ticket_note(struct crm_db *db, sqlite3_int64 id,
	    const struct crm_ticket_note *n, sqlite3_int64 *cid);

/* The record of comment cid; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_ticket_comment_get(struct crm_db *db,
	    sqlite3_int64 cid, cJSON **rec);

/* Set (assignee NULL: clear) the assignee of ticket id. */
struct crm_error *crm_ticket_assign(struct crm_db *db, sqlite3_int64 id,
	    const char *assignee, int *changed);

/*
 * Move ticket id to status: open, pending, resolved or closed ("new" is
 * only where tickets start).  Leaving resolved for open or pending is a
 * reopen; leaving closed needs crm_ticket_reopen().
 */
struct crm_error *crm_ticket_status(struct crm_db *db, sqlite3_int64 id,
	    const char *status, int *changed);

/* Back to open from resolved or closed, clearing resolved_at and
 * closed_at; any other status is an error. */
struct crm_error *crm_ticket_reopen(struct crm_db *db, sqlite3_int64 id);

/* Set the priority (low to urgent) or the queue (NULL: none) of id. */
struct crm_error *crm_ticket_priority(struct crm_db *db, sqlite3_int64 id,
	    const char *priority, int *changed);
struct crm_error *crm_ticket_queue(struct crm_db *db, sqlite3_int64 id,
	    const char *queue, int *changed);

/*
 * SLA due times (lib/ticket_sla.c, policies in crm_sla.h): compute and
 * store those of ticket id from its history; every change of a ticket
 * calls it.  refresh_open does it for every ticket not resolved or
 * closed and counts them in *n.
 */
struct crm_error *crm_ticket_sla_refresh(struct crm_db *db, sqlite3_int64 id);
struct crm_error *crm_ticket_sla_refresh_open(struct crm_db *db, long *n);
/* Register the SQL function crm_now() (crm_time_now) on db, once. */
struct crm_error *crm_ticket_sla_functions(struct crm_db *db);

/* What escalate does (lib/ticket_escalate.c). */
struct crm_ticket_escalation {
	int		 raise;		/* priority one step up */
	const char	*to;		/* reassign to; NULL: keep */
	int		 dry_run;	/* say, change nothing */
};

/*
 * For every ticket not resolved or closed with a target that breached
 * and was not escalated yet in its cycle: raise it and/or reassign it,
 * note the escalation, record an "escalate" event, and call fn with a
 * record of what was done (borrowed for the call): id, subject,
 * targets ("first_response,resolution"), due (the earliest breached),
 * old_priority, priority, old_assignee, assignee, dry_run.
 */
struct crm_error *crm_ticket_escalate(struct crm_db *db,
	    const struct crm_ticket_escalation *e,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);
/* The fields of its records. */
extern const char *const crm_ticket_escalate_columns[];

/* Rate a resolved or closed ticket: score 1 to 5, comment may be NULL. */
struct crm_error *crm_ticket_rate(struct crm_db *db, sqlite3_int64 id,
	    int score, const char *comment);

/* Delete ticket id with its comments. */
struct crm_error *crm_ticket_delete(struct crm_db *db, sqlite3_int64 id);

/*
 * Merge the tickets others[0..n) into keep (lib/ticket_merge.c), as
 * helpdesks do: their comments (with their attachments) and the
 * Message-IDs mail in threads by move onto keep, ids and times unchanged,
 * so the thread stays in the order it was written; keep keeps its fields
 * and takes the queue, channel and assignee it lacks, the earliest
 * first_response_at, and a Message-ID when it has none; each
 * other gets an internal note "merged into #KEEP" and is closed; keep gets
 * one "merged #A, #B into this ticket".  A "merge" event for each (keep's
 * lists "merged", each other's names "merged_into").  Merging keep into
 * itself, or a closed ticket (either way), is a CRM_EXIT_FAIL error.
 * A ticket named twice is merged once.
 */
struct crm_error *crm_ticket_merge(struct crm_db *db, sqlite3_int64 keep,
	    const sqlite3_int64 *others, size_t n);

#endif
