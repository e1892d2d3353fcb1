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

/* A crm_contact_list() callback writing to the struct crm_out in arg;
 * stops when the output is closed. */
int	 contact_write_one(const cJSON *rec, void *arg);

#endif
