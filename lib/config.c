#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_config.h"
#include "crm_util.h"

static struct crm_strv keys = CRM_STRV_INIT;
static struct crm_strv vals = CRM_STRV_INIT;
static int loaded;
static char path[4096];
static char warning[4096 * 2 + 64];	/* crm_config_warning() */

const char *
crm_config_path(void)
{
	const char *s;

	if ((s = getenv("CRM_CONFIG")) != NULL && *s != '\0')
		snprintf(path, sizeof(path), "%s", s);
	else if ((s = getenv("XDG_CONFIG_HOME")) != NULL && *s == '/')
		snprintf(path, sizeof(path), "%s/crm/config", s);
	else if ((s = getenv("HOME")) != NULL && *s != '\0')
		snprintf(path, sizeof(path), "%s/.config/crm/config", s);
	else
		return NULL;
	return path;
}

static struct crm_error *
parse_line(char *line, const char *file, long lineno)
{
	char *eq, *k, *v;
	size_t i;

	crm_trim(line);
	if (*line == '\0' || *line == '#')
		return NULL;
	if ((eq = strchr(line, '=')) == NULL)
		return crm_error_new(CRM_EXIT_FAIL,
		    "%s: line %ld: expected \"key = value\"", file, lineno);
	*eq = '\0';
	k = crm_trim(line);
	v = crm_trim(eq + 1);
	for (i = 0; k[i] != '\0'; i++)
		if (!islower((unsigned char)k[i]) && k[i] != '_' &&
		    !isdigit((unsigned char)k[i]))
			break;
	if (*k == '\0' || k[i] != '\0')
		return crm_error_new(CRM_EXIT_FAIL,
		    "%s: line %ld: invalid key \"%s\"", file, lineno, k);
	crm_strv_push(&keys, k);
	crm_strv_push(&vals, v);
	return NULL;
}

/* Whether a key of the file names a password (smtp_password, ...). */
static int
has_password(void)
{
	size_t i, n;

	for (i = 0; i < keys.n; i++)
		if ((n = strlen(keys.v[i])) >= 8 &&
		    strcmp(keys.v[i] + n - 8, "password") == 0)
			return 1;
	return 0;
}

struct crm_error *
crm_config_load(void)
{
	struct crm_error *err = NULL;
	struct stat sb;
	const char *file;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	FILE *fp;

	if (loaded)
		return NULL;
	loaded = 1;
	if ((file = crm_config_path()) == NULL)
		return NULL;
	if ((fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT)
			return NULL;
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", file,
		    strerror(errno));
	}
	while (err == NULL && getline(&line, &cap, fp) != -1)
		err = parse_line(line, file, ++lineno);
	free(line);
	if (err == NULL && fstat(fileno(fp), &sb) == 0 &&
	    (sb.st_mode & 077) != 0 && has_password())
		snprintf(warning, sizeof(warning), "%s holds a password and "
		    "others may read it: chmod 600 %s", file, file);
	fclose(fp);
	return err;
}

const char *
crm_config_warning(void)
{
	return warning[0] != '\0' ? warning : NULL;
}

const char *
crm_config_get(const char *key, const char *flag, const char *def)
{
	char env[128];
	const char *s;
	size_t i;

	if (flag != NULL)
		return flag;
	snprintf(env, sizeof(env), "CRM_%s", key);
	for (i = 4; env[i] != '\0'; i++)
		env[i] = (char)toupper((unsigned char)env[i]);
	if ((s = getenv(env)) != NULL && *s != '\0')
		return s;
	/* The last line for a key wins, as in most config files. */
	for (i = keys.n; i > 0; i--)
		if (strcmp(keys.v[i - 1], key) == 0)
			return vals.v[i - 1];
	return def;
}

void
crm_config_free(void)
{
	crm_strv_clear(&keys);
	crm_strv_clear(&vals);
	warning[0] = '\0';
	loaded = 0;
}

struct crm_error *
crm_config_seconds(const char *key, long def, long *out)
{
	const char *s = crm_config_get(key, NULL, NULL);
	char *end;

	*out = def;
	if (s == NULL)
		return NULL;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *out < 1 ||
	    *out > 86400)
		return crm_error_new(CRM_EXIT_USAGE, "%s: expected seconds "
		    "from 1 to 86400, got \"%s\"", key, s);
	return NULL;
}
