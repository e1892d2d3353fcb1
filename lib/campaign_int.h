/*
 * Internal to lib/campaign*.c: what the definitions (campaign.c) and the
 * sending (campaign_send.c) share.
 */
#ifndef CRM_CAMPAIGN_INT_H
#define CRM_CAMPAIGN_INT_H

#include <stdio.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_template.h"

/* A usage error naming what campaign id still needs to be sent. */
struct crm_error *campaign_complete(struct crm_db *db, sqlite3_int64 id);

/* The templates of a campaign. */
enum { TPL_SUBJECT, TPL_TEXT, TPL_HTML, TPL_BODY, CAMPAIGN_NTPL };

/* A campaign ready to render: its fields and compiled templates. */
struct campaign {
	sqlite3_int64		 id;
	char			*name;
	char			*segment;
	int			 webhook;
	int			 opt_in;
	char			 status[16];
	char			*from_name;
	char			*from_email;
	char			*reply_to;
	char			*url;		/* webhook */
	char			*domain;
	const char		*unsub_url;	/* configuration */
	const char		*unsub_mailto;
	const char		*test_to;	/* a test: the one address */
	struct crm_template	*tpl[CAMPAIGN_NTPL];
};

/* Load campaign id, complete, with its templates compiled. */
struct crm_error *campaign_load(struct crm_db *db, sqlite3_int64 id,
	    struct campaign *k);
void	 campaign_release(struct campaign *k);

/*
 * The audience as it is now: *st (the caller finalizes it) gives a row a
 * contact of the segment, by id: the id, and why it is left out (text)
 * or NULL when it is sent to.
 */
struct crm_error *campaign_audience(struct crm_db *db,
	    const struct campaign *k, sqlite3_stmt **st);

/*
 * What a recipient's templates render against: the contact's record,
 * first_name and last_name, unsubscribe_url (for send log row row, when
 * the configuration has one; *unsub a copy, may be NULL), campaign.name.
 */
struct crm_error *campaign_context(struct crm_db *db,
	    const struct campaign *k, sqlite3_int64 contact, sqlite3_int64 row,
	    cJSON **ctx, char **unsub);

/*
 * Queue campaign k for the contacts enrolled in sequence seq that wait
 * for step step and were enrolled at or before bound: a send log row
 * each, queued or skipped with the reason, none twice; *n how many.
 * In the caller's transaction.
 */
struct crm_error *campaign_enqueue(struct crm_db *db,
	    const struct campaign *k, sqlite3_int64 seq, int step,
	    const char *bound, long *n);

/* A recipient's message, rendered. */
struct campaign_msg {
	char	*msg;		/* RFC 5322, or the JSON body */
	char	*msgid;
	char	*email;
};

/*
 * Render the message of send log row row (0: none yet) for contact into
 * *m; an error when it cannot be made (no email, a header that would
 * hold a line break).
 */
struct crm_error *campaign_render(struct crm_db *db,
	    const struct campaign *k, sqlite3_int64 row, sqlite3_int64 contact,
	    struct campaign_msg *m);
void	 campaign_rendered_release(struct campaign_msg *m);

/* Write msg to fp as one message of an mbox (mboxrd). */
void	 campaign_mbox_write(FILE *fp, const char *sender, const char *msg);

#endif
