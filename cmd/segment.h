/*
 * crm-segment's verbs: cmd/crm-segment.c holds the verb table, segments
 * and their members; lead scoring and RFM are in segment_score.c.
 */
#ifndef CRM_CMD_SEGMENT_H
#define CRM_CMD_SEGMENT_H

#include "cli.h"

int	 segment_cmd_score(struct cli *cli, int argc, char **argv);
int	 segment_cmd_rfm(struct cli *cli, int argc, char **argv);

extern const struct cli_opt segment_score_opts[], segment_rfm_opts[];

/* A number for option name, or a usage error. */

#endif
