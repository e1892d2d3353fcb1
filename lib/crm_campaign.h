/*
 * Campaigns: a message (email, or a webhook's JSON body) for the contacts
 * of a segment, sent from cron without ever reaching anyone twice.
 *
 * The audience is snapshotted into the send log (campaign_sends) at the
 * first send: one row a contact, queued, or skipped with the reason.  A
 * send claims one row in a transaction before the SMTP transaction and
 * marks it sent, with the server's reply, in the transaction that claims
 * the next.  A run holds a lock on the campaign (released by the system
 * if the run dies), so a row still claimed when a run starts was claimed
 * by a run that died in the middle of that message: it becomes unknown,
 * reported and not sent again unless retried.
 */
#ifndef CRM_CAMPAIGN_H
#define CRM_CAMPAIGN_H

#include <stdio.h>

#define CRM_CAMPAIGN_CONNECTIONS 32	/* at most, at once */
#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

extern const char *const crm_campaign_columns[];
extern const char *const crm_campaign_table_columns[];
extern const char *const crm_campaign_send_columns[];
/* The fields a create or edit sets, for --set and completion. */
extern const char *const crm_campaign_writable[];

/* The campaign named ref (name or id); none is a usage error. */
struct crm_error *crm_campaign_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/*
 * Create campaign name from values (an object of writable fields:
 * "segment", "subject", "from", "text", "html", "channel", "url",
 * "body", "opt_in" ...), or change campaign id with them.  The
 * templates are compiled; errors name the field.  In the caller's
 * transaction.
 */
struct crm_error *crm_campaign_create(struct crm_db *db, const char *name,
	    const cJSON *values, sqlite3_int64 *id);
struct crm_error *crm_campaign_edit(struct crm_db *db, sqlite3_int64 id,
	    const cJSON *values);
struct crm_error *crm_campaign_clone(struct crm_db *db, sqlite3_int64 id,
	    const char *name, sqlite3_int64 *out);
/*
 * The campaigns scheduled or sending to segment id, quoted and
 * ", "-separated, into names (empty when none).
 */
struct crm_error *crm_campaign_users(struct crm_db *db, sqlite3_int64 segment,
	    struct crm_buf *names);

/* Delete; refused once anything was sent unless force. */
struct crm_error *crm_campaign_delete(struct crm_db *db, sqlite3_int64 id,
	    int force);

struct crm_error *crm_campaign_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);
struct crm_error *crm_campaign_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Schedule campaign id for at (a time crm_time_parse() reads), so that
 * send --due sends it from then on; pause, resume, cancel (action is
 * "pause", "resume" or "cancel").  A change that is no change is none;
 * one that makes no sense (resume a draft, schedule a cancelled one) is a
 * CRM_EXIT_FAIL error saying why.  In the caller's transaction.
 */
struct crm_error *crm_campaign_schedule(struct crm_db *db, sqlite3_int64 id,
	    const char *at);
struct crm_error *crm_campaign_control(struct crm_db *db, sqlite3_int64 id,
	    const char *action);
/*
 * The campaigns send --due sends, by id: scheduled with their time come,
 * and those sending; fn gets each id and name.
 */
struct crm_error *crm_campaign_due(struct crm_db *db,
	    void (*fn)(sqlite3_int64 id, const char *name, void *arg),
	    void *arg);

struct crm_sla_cal;

/* What a send run may do. */
struct crm_campaign_run {
	long		 max;		/* messages this run; 0: all */
	double		 rate;		/* messages a second; 0: no limit */
	int		 connections;	/* at once, each its own process;
					   0 or 1: one */
	int		 dry_run;	/* render to out, write nothing */
	int		 jsonl;		/* dry run: JSON Lines, not mbox */
	FILE		*out;		/* dry run output */
	/* Send only inside its working hours (NULL: any time). */
	const struct crm_sla_cal *window;
	/* Progress, each message (NULL: none). */
	void		(*progress)(long done, long total, void *arg);
	void		*arg;
};

/* What a run did. */
struct crm_campaign_tally {
	long	 sent;
	long	 failed;	/* permanently, this run */
	long	 deferred;	/* a temporary failure: tried again later */
	long	 skipped;	/* in the audience, not sent to, all told */
	long	 unknown;	/* found claimed by a run that died */
	long	 remaining;	/* queued still */
	int	 outside;	/* the run stopped at the window's end */
};

/*
 * Send campaign id: snapshot its audience the first time, then send to
 * the queued recipients.  A second run of the same campaign while one
 * runs is CRM_EXIT_TEMPFAIL.  Stops at the first error that is not
 * about one recipient (the server unreachable: CRM_EXIT_TEMPFAIL).
 */
struct crm_error *crm_campaign_send(struct crm_db *db, sqlite3_int64 id,
	    const struct crm_campaign_run *run,
	    struct crm_campaign_tally *tally);

/*
 * Render the message campaign id would send to contact: RFC 5322 text
 * (email) or the JSON body (webhook), into *msg (the caller frees it).
 */
struct crm_error *crm_campaign_preview(struct crm_db *db, sqlite3_int64 id,
	    sqlite3_int64 contact, char **msg);

/*
 * Send the message of campaign id for contact (0: the first recipient
 * of the audience) to the address to alone, now, whatever the campaign's
 * status; the send log is not touched, an event records it.  *reply is
 * the server's reply (the caller frees it).
 */
struct crm_error *crm_campaign_test(struct crm_db *db, sqlite3_int64 id,
	    sqlite3_int64 contact, const char *to, char **reply);

/*
 * A message that came back: when it is a delivery status notification,
 * each recipient in it is matched to the send log (by the bounced
 * Message-ID, else the last message to the address) and handed to fn as
 * a record of crm_campaign_bounce_columns; a hard bounce (failed, 5.x.x)
 * marks the row and the contact with the address bounced_at, so that no
 * campaign mails it again.  *is_dsn says whether it was one, *cut
 * whether it was cut short (past CRM_DSN_RCPTS recipients, or broken
 * off): the rest of it was not read.  In the caller's transaction.
 */
extern const char *const crm_campaign_bounce_columns[];
struct crm_error *crm_campaign_bounce(struct crm_db *db, const char *msg,
	    size_t len, int (*fn)(const cJSON *rec, void *arg), void *arg,
	    int *is_dsn, int *cut);

/*
 * Drips (lib/campaign_seq.c): a sequence of steps "day N: CAMPAIGN" for
 * the contacts of a segment, each step's campaign sent N days after the
 * contact entered the sequence.  Create with the step specs (days in
 * order); errors name the step.  In the caller's transaction.
 */
extern const char *const crm_sequence_columns[];
struct crm_error *crm_sequence_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);
struct crm_error *crm_sequence_create(struct crm_db *db, const char *name,
	    const char *segment, const char *const *steps, size_t n,
	    sqlite3_int64 *id);
struct crm_error *crm_sequence_delete(struct crm_db *db, sqlite3_int64 id);
/* Sequence records by name, or only sequence only (0: all). */
struct crm_error *crm_sequence_list(struct crm_db *db, sqlite3_int64 only,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);
/*
 * For cron, in a transaction of its own: enrol each sequence's new
 * contacts (*enrolled), queue every step come due (*queued; a step is
 * queued for a contact once, ever), then hand fn each step campaign with
 * recipients queued, for the caller to send.
 */
struct crm_error *crm_sequence_tick(struct crm_db *db, long *enrolled,
	    long *queued, void (*fn)(sqlite3_int64 campaign, const char *name,
	    void *arg), void *arg);

/*
 * For crm-campaign check: call fn with one record per template variable,
 * {"variable", "missing"}: for how many of the audience it is missing.
 */
struct crm_error *crm_campaign_check(struct crm_db *db, sqlite3_int64 id,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* The send log of a campaign, rows of status (NULL: all). */
struct crm_error *crm_campaign_sends(struct crm_db *db, sqlite3_int64 id,
	    const char *status, int (*fn)(const cJSON *rec, void *arg),
	    void *arg);
/* Requeue failed (or, with unknown, unknown) rows; *n how many. */
struct crm_error *crm_campaign_retry(struct crm_db *db, sqlite3_int64 id,
	    int unknown, long *n);
/*
 * Counts by status, skipped by reason, and what recipients did after:
 * unsubscribed since their message, and deals they won within days of
 * it (their count, and their value per currency), as one record; days 0
 * leaves out what they did after.
 */
struct crm_error *crm_campaign_stats(struct crm_db *db, sqlite3_int64 id,
	    int days, cJSON **rec);

#endif
