/* netbench: the protocol table (see proto.h). */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static const struct nb_proto *const protos[] = {
	&nb_proto_tcp,
	&nb_proto_h1,
	&nb_proto_h2,
	&nb_proto_h3,
};

#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

const char *nb_dir_name(enum nb_dir d)
{
	return d == NB_UPLOAD ? "upload" : "download";
}

int nb_dir_parse(const char *s, enum nb_dir *d)
{
	if (!strcasecmp(s, "download") || !strcasecmp(s, "down"))
		*d = NB_DOWNLOAD;
	else if (!strcasecmp(s, "upload") || !strcasecmp(s, "up"))
		*d = NB_UPLOAD;
	else
		return nb_fail(-EINVAL,
			       "unknown direction '%s' (valid: download, upload)",
			       s);
	return 0;
}

const char *nb_proto_names(void)
{
	static char names[128];
	size_t off = 0;

	for (size_t i = 0; i < NPROTOS && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
					i ? ", " : "", protos[i]->name);
	return names;
}

size_t nb_proto_count(void)
{
	return NPROTOS;
}

const struct nb_proto *nb_proto_at(size_t i)
{
	return i < NPROTOS ? protos[i] : NULL;
}

const struct nb_proto *nb_proto_find(const char *name)
{
	for (size_t i = 0; i < NPROTOS; i++) {
		if (!strcasecmp(protos[i]->name, name))
			return protos[i];
	}
	nb_fail(-EINVAL, "unknown protocol '%s' (valid: %s)", name,
		nb_proto_names());
	return NULL;
}
