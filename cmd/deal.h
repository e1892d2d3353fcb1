/*
 * crm-deal's verbs: cmd/crm-deal.c holds the verb table and the
 * everyday verbs (add, show, list, update, delete); printing and the
 * batches over references are in deal_batch.c, the moves and the history
 * in deal_move.c, pipelines, stages and rates in deal_pipeline.c, the
 * board in deal_board.c, import and export in deal_import.c.
 */
#ifndef CRM_CMD_DEAL_H
#define CRM_CMD_DEAL_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "cli.h"

enum {
	O_TITLE = 300, O_CONTACT, O_COMPANY, O_PIPELINE, O_STAGE, O_AMOUNT,
	O_CURRENCY, O_PROB, O_EXPECTED, O_OWNER, O_SOURCE, O_EXT, O_TAG,
	O_SET, O_UNSET, O_WHERE, O_SORT, O_LIMIT, O_AS_OF, O_REASON, O_TOP,
	O_CSV, O_JSONL, O_MAP, O_UPSERT, O_DRY_RUN, O_ON_ERROR, O_REJECTS,
	O_STAGES, O_BEFORE, O_AFTER, O_TO
};

/* Deal references on stdin: records with an "id". */
extern const char *const deal_ref_keys[];

/*
 * A change applied to each deal that references name, in one
 * transaction when write is set: any failure rolls back the lot.
 */
struct deal_batch {
	struct crm_error *(*apply)(struct cli *cli, sqlite3_int64 id,
			    struct deal_batch *b);
	int		 write;
	/* After the commit: print what was done (NULL: nothing). */
	int		(*print)(struct cli *cli, struct deal_batch *b);
	const cJSON	*values;	/* update */
	const char	*stage;		/* move, reopen */
	const char	*reason;	/* lose */
	const char	*as_of;		/* show, history: a bound */
	const sqlite3_int64 *ids;	/* print: the deals done */
	size_t		 n;
};

/* Run b over the references in argv, then b->print. */
int	 deal_run_batch(struct cli *cli, struct deal_batch *b, int argc,
	    char **argv);
/* A b->print: the records of the deals done. */
int	 deal_print_batch(struct cli *cli, struct deal_batch *b);

/* Print the records of these deals (as of a bound, or NULL). */
int	 deal_print_ids(struct cli *cli, const sqlite3_int64 *ids, size_t n,
	    const char *as_of);

/* A positive number for option name, or a usage error. */

/* The --as-of bound into bound, or a usage error. */
void	 deal_as_of(struct cli *cli, const char *arg, char *bound);

/* Verbs kept in their own files. */
int	 deal_cmd_move(struct cli *cli, int argc, char **argv);
int	 deal_cmd_win(struct cli *cli, int argc, char **argv);
int	 deal_cmd_lose(struct cli *cli, int argc, char **argv);
int	 deal_cmd_reopen(struct cli *cli, int argc, char **argv);
int	 deal_cmd_history(struct cli *cli, int argc, char **argv);
int	 deal_cmd_board(struct cli *cli, int argc, char **argv);
int	 deal_cmd_import(struct cli *cli, int argc, char **argv);
int	 deal_cmd_export(struct cli *cli, int argc, char **argv);
int	 deal_cmd_pipeline(struct cli *cli, int argc, char **argv);
int	 deal_cmd_stage(struct cli *cli, int argc, char **argv);
int	 deal_cmd_rate(struct cli *cli, int argc, char **argv);

/* Their option tables. */
extern const struct cli_opt deal_lose_opts[], deal_reopen_opts[],
	    deal_history_opts[], deal_board_opts[], deal_import_opts[],
	    deal_export_opts[], deal_pipeline_opts[], deal_stage_opts[];

#endif
