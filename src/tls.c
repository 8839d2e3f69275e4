/* netbench: TLS material and shared gnutls settings (see tls.h). */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "error.h"

#ifndef NB_CERTS_DIR
#define NB_CERTS_DIR "certs"
#endif

const char *nb_certs_dir(void)
{
	const char *env = getenv("NETBENCH_CERTS");

	return env && *env ? env : NB_CERTS_DIR;
}

int nb_certs_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", nb_certs_dir(), name);

	if (n < 0 || (size_t)n >= len)
		return nb_fail(-ENAMETOOLONG, "path too long: %s/%s",
			       nb_certs_dir(), name);
	return 0;
}

#define RECV_RETRIES 16   /* non-fatal gnutls errors in a row */

int nb_tls_error(int err)
{
	if (err == GNUTLS_E_PREMATURE_TERMINATION || err == GNUTLS_E_PUSH_ERROR ||
	    err == GNUTLS_E_PULL_ERROR)
		return nb_fail(-ECONNRESET, "%s", gnutls_strerror(err));
	return nb_fail(-EPROTO, "TLS: %s", gnutls_strerror(err));
}

ssize_t nb_tls_recv(gnutls_session_t s, void *buf, size_t len)
{
	for (int i = 0; i < RECV_RETRIES; i++) {
		ssize_t n = gnutls_record_recv(s, buf, len);

		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN)
			return -EAGAIN;
		if (n != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal((int)n))
			return nb_tls_error((int)n);
	}
	return nb_fail(-EPROTO, "TLS: too many warnings");
}

/* Fails with the file's own errno when it cannot be read. */
static int readable(const char *path)
{
	if (access(path, R_OK))
		return nb_fail(-errno, "cannot read %s: %s", path,
			       strerror(errno));
	return 0;
}

/* Loads a whole file (gnutls_load_file) after checking it is readable. */
static int load(const char *path, gnutls_datum_t *d)
{
	int rv = readable(path);

	if (rv)
		return rv;
	if (gnutls_load_file(path, d) < 0)
		return nb_fail(-EIO, "cannot load %s", path);
	return 0;
}

int nb_tls_client_creds(const char *ca, gnutls_certificate_credentials_t *out)
{
	int rv;

	if (gnutls_certificate_allocate_credentials(out) < 0) {
		*out = NULL;
		return nb_fail(-ENOMEM, "gnutls: out of memory");
	}
	rv = gnutls_certificate_set_x509_trust_file(*out, ca,
						    GNUTLS_X509_FMT_PEM);
	if (rv > 0)
		return 0;
	gnutls_certificate_free_credentials(*out);
	*out = NULL;
	return nb_fail(-EINVAL, "%s: no CA certificate%s%s", ca,
		       rv < 0 ? ": " : "", rv < 0 ? gnutls_strerror(rv) : "");
}

int nb_tls_server_creds(const char *cert, const char *key,
			gnutls_certificate_credentials_t *out)
{
	char cbuf[4096], kbuf[4096];
	gnutls_certificate_credentials_t cred = NULL;
	int rv;

	if (!cert) {
		rv = nb_certs_path("server.pem", cbuf, sizeof(cbuf));
		if (rv)
			return rv;
		cert = cbuf;
	}
	if (!key) {
		rv = nb_certs_path("server.key", kbuf, sizeof(kbuf));
		if (rv)
			return rv;
		key = kbuf;
	}
	rv = readable(cert);
	if (!rv)
		rv = readable(key);
	if (rv)
		return rv;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return nb_fail(-ENOMEM, "gnutls: out of memory");
	rv = gnutls_certificate_set_x509_key_file(cred, cert, key,
						  GNUTLS_X509_FMT_PEM);
	if (rv < 0) {
		gnutls_certificate_free_credentials(cred);
		return nb_fail(-EINVAL, "%s + %s: not a PEM certificate and "
			       "its key: %s", cert, key, gnutls_strerror(rv));
	}
	*out = cred;
	return 0;
}

int nb_tls_read_pin(char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	size_t n;
	int rv;

	rv = nb_certs_path("server.pin", path, sizeof(path));
	if (rv)
		return rv;
	f = fopen(path, "re");
	if (!f)
		return nb_fail(-errno, "cannot read %s: %s", path,
			       strerror(errno));
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (strncmp(buf, "sha256//", 8) || n < 8 + 44)
		return nb_fail(-EINVAL, "%s: not a sha256// pin", path);
	return 0;
}

/* The first certificate of a PEM file, imported. */
static int load_cert(const char *path, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d = {0};
	gnutls_x509_crt_t crt;
	int rv;

	rv = load(path, &d);
	if (rv)
		return rv;
	rv = -ENOMEM;
	if (gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
		gnutls_x509_crt_deinit(crt);
		rv = nb_fail(-EINVAL, "%s: not a PEM certificate", path);
		goto out;
	}
	*out = crt;
	rv = 0;
out:
	gnutls_free(d.data);
	return rv;
}

/* The pin of crt's public key: base64 of the SHA-256 of its DER
 * SubjectPublicKeyInfo. Errors: -EINVAL, -ENAMETOOLONG (buf too small). */
static int crt_pin(gnutls_x509_crt_t crt, char *buf, size_t len)
{
	unsigned char spki[2048], digest[32];
	size_t spki_len = sizeof(spki);
	gnutls_datum_t raw = {digest, sizeof(digest)}, b64 = {0};
	gnutls_pubkey_t pub = NULL;
	int rv = -EINVAL;

	if (gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export(pub, GNUTLS_X509_FMT_DER, spki, &spki_len) < 0 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, spki, spki_len, digest) < 0 ||
	    gnutls_base64_encode2(&raw, &b64) < 0)
		goto out;
	rv = -ENAMETOOLONG;
	if ((size_t)snprintf(buf, len, "sha256//%.*s", (int)b64.size,
			     (const char *)b64.data) >= len)
		goto out;
	rv = 0;
out:
	gnutls_free(b64.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	return rv;
}

int nb_tls_cert_pin(const char *cert, char *buf, size_t len)
{
	gnutls_x509_crt_t crt;
	int rv;

	rv = load_cert(cert, &crt);
	if (rv)
		return rv;
	rv = crt_pin(crt, buf, len);
	gnutls_x509_crt_deinit(crt);
	if (rv)
		return nb_fail(rv, "%s: cannot compute the key's pin", cert);
	return 0;
}

int nb_tls_peer_pin(gnutls_session_t s, char *buf, size_t len)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	unsigned int n = 0;
	int rv;

	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n)
		return nb_fail(-EKEYREJECTED, "the server sent no certificate");
	if (gnutls_x509_crt_init(&crt) < 0)
		return nb_fail(-ENOMEM, "gnutls: out of memory");
	rv = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ?
		     -EINVAL : crt_pin(crt, buf, len);
	gnutls_x509_crt_deinit(crt);
	if (rv)
		return nb_fail(-EKEYREJECTED, "cannot read the key of the "
			       "server's certificate");
	return 0;
}

int64_t nb_tls_cert_seconds_left(const char *cert, int *rv)
{
	gnutls_x509_crt_t crt;
	time_t end;

	*rv = load_cert(cert, &crt);
	if (*rv)
		return 0;
	end = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return (int64_t)end - (int64_t)time(NULL);
}
