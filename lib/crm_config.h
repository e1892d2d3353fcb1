/*
 * Configuration: a value is taken from the command-line flag, else the
 * environment (CRM_ and the key in capitals: "busy_timeout" is
 * CRM_BUSY_TIMEOUT), else the config file, else the default.  The file is
 * CRM_CONFIG, else $XDG_CONFIG_HOME/crm/config, else ~/.config/crm/config:
 * "key = value" lines, "#" comments (crm-config(5)).
 */
#ifndef CRM_CONFIG_H
#define CRM_CONFIG_H

#include "crm_error.h"

/* Read the file once; an error names the file and line. */
struct crm_error *crm_config_load(void);

/*
 * The value of key, by the order above; flag and def may be NULL.  The
 * result is borrowed: it lives until crm_config_free().
 */
/*
 * A number of seconds, 1 to 86400, for key into *out, def when it is not
 * set; anything else is a CRM_EXIT_USAGE error naming the key.
 */
struct crm_error *crm_config_seconds(const char *key, long def, long *out);

const char *crm_config_get(const char *key, const char *flag,
	    const char *def);

/*
 * After crm_config_load(): a warning when the file holds a password (a
 * key ending in "password") and others may read it; NULL otherwise.
 */
const char *crm_config_warning(void);

/* The config file's path (borrowed, static); NULL without a home. */
const char *crm_config_path(void);

void crm_config_free(void);

#endif
