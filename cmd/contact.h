/*
 * crm-contact's verbs: the command is cmd/crm-contact.c, which holds the
 * verb table and the everyday verbs; larger verbs live in cmd/contact_*.c.
 * Each verb parses its options with cli_getopt(), calls lib/, and prints.
 */
#ifndef CRM_CMD_CONTACT_H
#define CRM_CMD_CONTACT_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "cli.h"

/* Keys under which a record on stdin names a contact, in order. */
extern const char *const contact_ref_keys[];

/* Print the records of these contacts (after the commit); exit status. */
int	 contact_print_ids(struct cli *cli, const sqlite3_int64 *ids,
	    size_t n);


/* Activities, tasks, timeline and search: cmd/contact_activity.c. */
extern const struct cli_opt contact_log_opts[];
extern const struct cli_opt contact_task_opts[];
extern const struct cli_opt contact_tasks_opts[];
extern const struct cli_opt contact_timeline_opts[];
extern const struct cli_opt contact_search_opts[];
int	 contact_log(struct cli *cli, int argc, char **argv);
int	 contact_task(struct cli *cli, int argc, char **argv);
int	 contact_tasks(struct cli *cli, int argc, char **argv);
int	 contact_done(struct cli *cli, int argc, char **argv);
int	 contact_timeline(struct cli *cli, int argc, char **argv);
int	 contact_search(struct cli *cli, int argc, char **argv);
/* Completion: the owners of contacts and activities, one a line. */
void	 contact_owner_values(struct cli *cli);

/* Duplicates: cmd/contact_merge.c. */
extern const struct cli_opt contact_dupes_opts[];
extern const struct cli_opt contact_merge_opts[];
int	 contact_dupes(struct cli *cli, int argc, char **argv);
int	 contact_merge(struct cli *cli, int argc, char **argv);

/* Privacy and consent: cmd/contact_privacy.c. */
extern const struct cli_opt contact_consent_opts[];
int	 contact_gdpr_export(struct cli *cli, int argc, char **argv);
int	 contact_forget(struct cli *cli, int argc, char **argv);
int	 contact_unsubscribe(struct cli *cli, int argc, char **argv);
int	 contact_subscribe(struct cli *cli, int argc, char **argv);

/* Bulk import and export: cmd/contact_import.c. */
extern const struct cli_opt contact_import_opts[];
extern const struct cli_opt contact_export_opts[];
int	 contact_import(struct cli *cli, int argc, char **argv);
int	 contact_export(struct cli *cli, int argc, char **argv);
/* Completion: the values of an import option, one a line; 0 if none. */
int	 contact_import_values(const char *opt);

#endif
