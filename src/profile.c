/* netbench: network profiles (see profile.h). */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"

static const struct nb_profile profiles[] = {
#define NB_PROFILE(name, rate, rtt, notes) {#name, rate, rtt, notes},
#include "profiles.def"
#undef NB_PROFILE
};

#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

size_t nb_profile_count(void)
{
	return NPROFILES;
}

const struct nb_profile *nb_profile_at(size_t i)
{
	return i < NPROFILES ? &profiles[i] : NULL;
}

/* Seed spellings: the seed's tc rate strings ("10Mbit") in place of "10M". */
static int seed_spelling(const char *name, char *out, size_t len)
{
	const char *m = strcasestr(name, "mbit_");

	if (!m || (size_t)(m - name) + 2 >= len)
		return -1;
	snprintf(out, len, "%.*sM%s", (int)(m - name), name, m + 4);
	return 0;
}

const struct nb_profile *nb_profile_find(const char *name)
{
	char alt[64];

	if (!name || !*name)
		return NULL;
	if (!strcasecmp(name, "none"))
		name = "unthrottled";
	else if (seed_spelling(name, alt, sizeof(alt)) == 0)
		name = alt;
	for (size_t i = 0; i < NPROFILES; i++) {
		if (!strcasecmp(profiles[i].name, name))
			return &profiles[i];
	}
	return NULL;
}

void nb_profile_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NPROFILES && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : "", profiles[i].name);
}

uint64_t nb_profile_bdp_bytes(const struct nb_profile *p)
{
	return p->rate_bps / 8 * p->rtt_ms / 1000;
}

uint32_t nb_profile_queue_packets(const struct nb_profile *p)
{
	uint64_t n;

	if (!p->rate_bps)
		return 0;
	n = (nb_profile_bdp_bytes(p) + NB_FRAME - 1) / NB_FRAME;
	return n < 16 ? 16 : (uint32_t)n;
}

uint32_t nb_profile_netem_limit(const struct nb_profile *p)
{
	uint64_t line = p->rate_bps / 8 * p->rtt_ms / 2 / 1000;
	uint64_t n = nb_profile_queue_packets(p) + (line + NB_FRAME - 1) / NB_FRAME;

	return (uint32_t)n;
}

uint64_t nb_profile_transfer_bytes(const struct nb_profile *p, double seconds)
{
	uint64_t rate = p->rate_bps ? p->rate_bps : NB_UNTHROTTLED_SIZING_BPS;
	double bytes = (double)rate / 8.0 * seconds;

	return bytes < 1.0 ? 1 : (uint64_t)bytes;
}

int nb_profile_parse(const char *opt, const char *name,
		     const struct nb_profile **out)
{
	char names[256];

	*out = nb_profile_find(name);
	if (*out)
		return 0;
	nb_profile_names(names, sizeof(names));
	return nb_fail(-EINVAL, "%s%sunknown profile '%s' (valid: %s)",
		       opt ? opt : "", opt ? ": " : "", name, names);
}
