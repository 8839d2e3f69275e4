/* Unit tests of src/tls.c and of the committed certs/ material: it loads,
 * the pin file is the key's pin, and it is not about to expire. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "tls.h"

/* A month's warning before the certificates expire. */
#define WARN_DAYS 30

static void path(const char *name, char *buf)
{
	assert_int_equal(nb_certs_path(name, buf, 4096), 0);
}

static void t_server_creds_load(void **state)
{
	gnutls_certificate_credentials_t cred = NULL;

	(void)state;
	assert_int_equal(nb_tls_server_creds(NULL, NULL, &cred), 0);
	assert_non_null(cred);
	gnutls_certificate_free_credentials(cred);
}

/* The CA loads; a key file or a missing file is no CA, said with its name. */
static void t_client_creds(void **state)
{
	gnutls_certificate_credentials_t cred = NULL;
	char ca[4096], key[4096];

	(void)state;
	path("ca.pem", ca);
	path("server.key", key);
	assert_int_equal(nb_tls_client_creds(ca, &cred), 0);
	assert_non_null(cred);
	gnutls_certificate_free_credentials(cred);
	assert_int_equal(nb_tls_client_creds(key, &cred), -EINVAL);
	assert_null(cred);
	assert_non_null(strstr(nb_lasterr(), "server.key: no CA certificate"));
	assert_int_equal(nb_tls_client_creds("/nonexistent.pem", &cred),
			 -EINVAL);
	assert_null(cred);
	assert_non_null(strstr(nb_lasterr(), "/nonexistent.pem"));
}

static void t_pin_file_is_the_keys_pin(void **state)
{
	char cert[4096], file_pin[128], pin[128];

	(void)state;
	path("server.pem", cert);
	assert_int_equal(nb_tls_read_pin(file_pin, sizeof(file_pin)), 0);
	assert_int_equal(nb_tls_cert_pin(cert, pin, sizeof(pin)), 0);
	if (strcmp(pin, file_pin))
		fail_msg("certs/server.pin says %s but server.pem's key has %s: "
			 "run certs/make-certs", file_pin, pin);
}

/* Fails loudly a month before the day, naming the file and the fix. */
static void t_not_about_to_expire(void **state)
{
	const char *names[] = {"ca.pem", "server.pem"};
	char p[4096];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		int rv;
		int64_t left;

		path(names[i], p);
		left = nb_tls_cert_seconds_left(p, &rv);
		assert_int_equal(rv, 0);
		if (left < WARN_DAYS * 86400LL)
			fail_msg("%s expires in %.1f days (less than %d): run "
				 "certs/make-certs and commit the result", p,
				 (double)left / 86400.0, WARN_DAYS);
	}
}

static void t_unreadable_cert_names_the_file(void **state)
{
	gnutls_certificate_credentials_t cred = NULL;
	char key[4096];

	(void)state;
	path("server.key", key);
	assert_int_equal(nb_tls_server_creds("/nonexistent/cert.pem", key, &cred),
			 -ENOENT);
	assert_null(cred);
	assert_non_null(strstr(nb_lasterr(), "/nonexistent/cert.pem"));
}

static void t_key_of_another_cert_refused(void **state)
{
	gnutls_certificate_credentials_t cred = NULL;
	char cert[4096], key[4096];

	(void)state;
	path("server.pem", cert);
	path("ca.key", key);
	assert_int_equal(nb_tls_server_creds(cert, key, &cred), -EINVAL);
	assert_null(cred);
	assert_non_null(strstr(nb_lasterr(), "ca.key"));
}

static void t_not_a_certificate(void **state)
{
	char key[4096], pin[128];
	int rv;

	(void)state;
	path("server.key", key);
	assert_int_equal(nb_tls_cert_pin(key, pin, sizeof(pin)), -EINVAL);
	nb_tls_cert_seconds_left(key, &rv);
	assert_int_equal(rv, -EINVAL);
}

static void t_certs_dir_from_env(void **state)
{
	char pin[128];

	(void)state;
	setenv("NETBENCH_CERTS", "/nonexistent", 1);
	assert_string_equal(nb_certs_dir(), "/nonexistent");
	assert_int_equal(nb_tls_read_pin(pin, sizeof(pin)), -ENOENT);
	unsetenv("NETBENCH_CERTS");
	assert_string_equal(nb_certs_dir(), NB_CERTS_DIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_server_creds_load),
		cmocka_unit_test(t_client_creds),
		cmocka_unit_test(t_pin_file_is_the_keys_pin),
		cmocka_unit_test(t_not_about_to_expire),
		cmocka_unit_test(t_unreadable_cert_names_the_file),
		cmocka_unit_test(t_key_of_another_cert_refused),
		cmocka_unit_test(t_not_a_certificate),
		cmocka_unit_test(t_certs_dir_from_env),
	};

	return cmocka_run_group_tests_name("tls", tests, NULL, NULL);
}
