/*
 * Pipelines and their stages (crm-deal(1), PIPELINES).  Owns the tables
 * pipelines and stages.
 *
 * A pipeline is an ordered list of open stages, each with a default win
 * probability in percent, followed by its two closed outcomes: a "won"
 * stage (100%) and a "lost" stage (0%), created with the pipeline and
 * never deleted.  Names are 1 to 64 bytes of letters (any script),
 * digits and "-_.+&#@"; stage names are unique within their pipeline.
 * The default pipeline is the one named by the configuration key
 * default_pipeline (CRM_DEFAULT_PIPELINE), else the oldest; a new
 * database has one, "default": lead 10, qualified 25, proposal 50,
 * negotiation 75, won, lost.
 *
 * An unknown name is a CRM_EXIT_USAGE error with a suggestion; a refusal
 * that depends on the data (a stage that still holds deals) is
 * CRM_EXIT_FAIL.  Changes go into the caller's transaction and record
 * events (entity "pipeline" or "stage").
 */
#ifndef CRM_PIPELINE_H
#define CRM_PIPELINE_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

#define CRM_NAME_MAX	64

enum crm_stage_kind { CRM_STAGE_OPEN, CRM_STAGE_WON, CRM_STAGE_LOST };

struct crm_stage {
	sqlite3_int64	 id;
	sqlite3_int64	 pipeline_id;
	char		 name[CRM_NAME_MAX + 1];
	char		 pipeline[CRM_NAME_MAX + 1];
	int		 probability;	/* 0 to 100 */
	int		 kind;		/* enum crm_stage_kind */
};

/* "open", "won", "lost". */
const char *crm_stage_kind_name(int kind);
/* Why name is no valid pipeline or stage name (static text), or NULL. */
const char *crm_pipeline_name_invalid(const char *name);

/*
 * The pipeline called name, or the default one when name is NULL; its
 * name goes to out (may be NULL).
 */
struct crm_error *crm_pipeline_find(struct crm_db *db, const char *name,
	    sqlite3_int64 *id, char out[CRM_NAME_MAX + 1]);
/*
 * The stage called name in pipeline pid.  When no stage of pid has that
 * name but one of another pipeline has, the error (CRM_EXIT_FAIL) says
 * which pipeline it is in.
 */
struct crm_error *crm_stage_find(struct crm_db *db, sqlite3_int64 pid,
	    const char *name, struct crm_stage *st);
struct crm_error *crm_stage_get(struct crm_db *db, sqlite3_int64 id,
	    struct crm_stage *st);
/* The won or lost stage of pid, or its first open stage (an error when
 * it has none). */
struct crm_error *crm_stage_of_kind(struct crm_db *db, sqlite3_int64 pid,
	    int kind, struct crm_stage *st);
/* Every stage of pid in order; *v is the caller's to free(). */
struct crm_error *crm_stage_all(struct crm_db *db, sqlite3_int64 pid,
	    struct crm_stage **v, size_t *n);

/*
 * A new pipeline with the open stages of stages, "NAME:PERCENT" items
 * separated by "," ("discovery:10,demo:40"), or none when NULL, and its
 * won and lost stages.
 */
struct crm_error *crm_pipeline_add(struct crm_db *db, const char *name,
	    const char *stages, sqlite3_int64 *id);
struct crm_error *crm_pipeline_rename(struct crm_db *db, const char *old,
	    const char *new);
/* Refused while it holds deals, and for the last pipeline. */
struct crm_error *crm_pipeline_delete(struct crm_db *db, const char *name);

/* Pipeline records: id, name, default, stages (names), deals. */
extern const char *const crm_pipeline_columns[];
struct crm_error *crm_pipeline_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);
/* Stage records: pipeline, position, stage, kind, probability, deals. */
extern const char *const crm_stage_columns[];
/* The stages of pipeline name (NULL: the default) as records. */
struct crm_error *crm_pipeline_show(struct crm_db *db, const char *name,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Stages of pipeline (NULL: the default).  before and after (at most one;
 * both NULL: at the end) name open stages.  Closed stages cannot be
 * moved, deleted or given another probability; they can be renamed.
 * crm_stage_delete refuses a stage that holds deals unless to names an
 * open stage of the same pipeline to move them to (with history).
 */
struct crm_error *crm_stage_add(struct crm_db *db, const char *pipeline,
	    const char *name, int probability, const char *before,
	    const char *after);
struct crm_error *crm_stage_move(struct crm_db *db, const char *pipeline,
	    const char *name, const char *before, const char *after);
struct crm_error *crm_stage_rename(struct crm_db *db, const char *pipeline,
	    const char *old, const char *new);
struct crm_error *crm_stage_update(struct crm_db *db, const char *pipeline,
	    const char *name, int probability);
struct crm_error *crm_stage_delete(struct crm_db *db, const char *pipeline,
	    const char *name, const char *to);

/* A percentage "0" to "100" (a "%" may follow); -1 when it is not. */
int	 crm_percent_parse(const char *s);

/* The pipeline or stage names in use, sorted, for completion. */
struct crm_error *crm_pipeline_values(struct crm_db *db, const char *what,
	    void (*fn)(const char *value, void *arg), void *arg);

#endif
