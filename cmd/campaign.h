/*
 * crm-campaign's verbs: cmd/crm-campaign.c holds the verb table, the
 * definitions (create, edit, list, show, clone, delete), check, preview
 * and test; sending, scheduling and drips are in campaign_send.c; the
 * send log, its counts and the bounces in campaign_log.c.
 */
#ifndef CRM_CMD_CAMPAIGN_H
#define CRM_CMD_CAMPAIGN_H

#include <stdio.h>

#include <sqlite3.h>

#include "cli.h"

enum {
	O_SEGMENT = 300, O_SUBJECT, O_FROM, O_REPLY_TO, O_TEXT, O_HTML,
	O_CHANNEL, O_URL, O_BODY, O_OPT_IN, O_SET, O_FORCE, O_TO, O_AS,
	O_MAX, O_RATE, O_DRY_RUN, O_STATUS, O_UNKNOWN, O_DUE, O_WINDOW,
	O_DAYS, O_MBOX, O_CONNECTIONS, O_STEP, O_STEPS
};

/* A template's text from FILE, "-" for stdin, or a usage error. */
char	*campaign_read_file(struct cli *cli, const char *opt, const char *path);
/* Print the records of campaigns ids; the exit status. */
int	 campaign_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n);
/* Records from a library list call through cli_out; the exit status. */
int	 campaign_print_list(struct cli *cli, const char *const *cols,
	    const char *const *table, struct crm_error *(*list)(struct cli *,
	    int (*)(const cJSON *, void *), void *, void *), void *arg);
/* The one campaign operand, resolved, the database opened in mode; 0 on
 * error (reported). */
sqlite3_int64 campaign_one(struct cli *cli, int argc, char **argv, int mode);
/* A positive number for --name, or a usage error. */
/* --rate N/s, or a usage error. */
double	 campaign_rate(struct cli *cli, const char *arg);
/* The worse of two exit statuses: 1 and 2 over 75 over 0. */
int	 campaign_worse(int a, int b);

/* Campaigns collected by id and name. */
struct campaign_due {
	sqlite3_int64	*ids;
	char		**names;
	size_t		 n;
};
void	 campaign_add_due(sqlite3_int64 id, const char *name, void *arg);

/* The verbs kept in their own files, and their option tables. */
int	 campaign_cmd_send(struct cli *, int, char **);
int	 campaign_cmd_control(struct cli *, int, char **);
int	 campaign_cmd_sequence(struct cli *, int, char **);
int	 campaign_cmd_tick(struct cli *, int, char **);
int	 campaign_cmd_status(struct cli *, int, char **);
int	 campaign_cmd_stats(struct cli *, int, char **);
int	 campaign_cmd_sends(struct cli *, int, char **);
int	 campaign_cmd_failed(struct cli *, int, char **);
int	 campaign_cmd_retry(struct cli *, int, char **);
int	 campaign_cmd_bounces(struct cli *, int, char **);

extern const struct cli_opt campaign_send_opts[], campaign_sequence_opts[],
	    campaign_tick_opts[], campaign_sends_opts[], campaign_bounces_opts[],
	    campaign_retry_opts[], campaign_stats_opts[];

#endif
