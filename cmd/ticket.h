/*
 * crm-ticket's verbs: cmd/crm-ticket.c holds the verb table and the
 * everyday verbs; larger verbs live in cmd/ticket_*.c.  Each verb parses
 * its options with cli_getopt(), calls lib/, and prints.
 */
#ifndef CRM_CMD_TICKET_H
#define CRM_CMD_TICKET_H

#include "cli.h"

/*
 * A body: arg's text, or stdin for "-" or when arg is NULL and stdin is
 * not a terminal (need: a terminal is then a usage error); UTF-8, at most
 * 1 MiB, the final line ends dropped.  *body (NULL when none) is the
 * caller's to free().
 */
struct crm_error *ticket_body(struct cli *cli, const char *arg, int need,
	    char **body);

/* The knowledge base and suggestions: cmd/ticket_kb.c. */
extern const struct cli_opt ticket_kb_opts[];
extern const struct cli_opt ticket_suggest_opts[];
int	 ticket_kb(struct cli *cli, int argc, char **argv);
int	 ticket_suggest(struct cli *cli, int argc, char **argv);
/* Completion: slugs or tags for opt, one a line; 0 when opt is not
 * one of kb's. */
int	 ticket_kb_values(struct cli *cli, const char *opt);

/* Merging tickets: cmd/ticket_merge.c. */
int	 ticket_merge(struct cli *cli, int argc, char **argv);

/* Mail in: cmd/ticket_ingest.c. */
extern const struct cli_opt ticket_ingest_opts[];
int	 ticket_ingest(struct cli *cli, int argc, char **argv);

/* SLA policies, calendars, escalation: cmd/ticket_sla.c. */
extern const struct cli_opt ticket_sla_opts[];
extern const struct cli_opt ticket_calendar_opts[];
extern const struct cli_opt ticket_escalate_opts[];
int	 ticket_sla(struct cli *cli, int argc, char **argv);
int	 ticket_calendar(struct cli *cli, int argc, char **argv);
int	 ticket_escalate(struct cli *cli, int argc, char **argv);
/* Completion: calendar names for --calendar; 0 for another opt. */
int	 ticket_sla_values(struct cli *cli, const char *opt);

/* Mail out: cmd/ticket_reply.c. */
extern const struct cli_opt ticket_reply_opts[];
int	 ticket_reply(struct cli *cli, int argc, char **argv);

#endif
