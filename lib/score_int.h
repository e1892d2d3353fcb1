/*
 * Between score.c (the schema, rules, the scoring pass, explain) and
 * rfm.c (the RFM pass): what both passes over every contact share.
 */
#ifndef CRM_SCORE_INT_H
#define CRM_SCORE_INT_H

#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/*
 * A pass reads every contact and writes every score: mapped pages spare
 * a pread each, and a cache of 128 MiB keeps the pages it changes until
 * the commit instead of spilling them early (together, half the time of
 * a pass over a million contacts).
 */
#define SCORE_PASS_PRAGMA	"PRAGMA mmap_size = 1073741824;" \
	" PRAGMA cache_size = -131072"

/* The event of a pass: entity "score", no id; takes c over. */
struct crm_error *score_pass_event(struct crm_db *db, const char *action,
	    cJSON *c);

#endif
