/* netbench: the TLS material of certs/ and the gnutls settings every end
 * shares.
 *
 * The files live in one directory: $NETBENCH_CERTS when set, else the
 * certs/ directory the build was configured with (NB_CERTS_DIR). Servers
 * load server.pem + server.key (or --cert/--key); clients trust ca.pem and
 * pin server.pin. Everything is TLS 1.3 only, without session tickets or
 * 0-RTT, as the seed's servers are configured.
 */
#ifndef NB_TLS_H
#define NB_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

/* TLS 1.3 only. For QUIC (ngtcp2) add %DISABLE_TLS13_COMPAT_MODE. */
#define NB_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* The directory of the TLS material (never NULL). */
const char *nb_certs_dir(void);

/* dir/name into buf. Errors: -ENAMETOOLONG. */
int nb_certs_path(const char *name, char *buf, size_t len);

/* Server credentials from a certificate chain and key (PEM). NULL paths
 * mean server.pem and server.key of nb_certs_dir(). Errors: -ENOENT/-EACCES
 * (unreadable file, nb_lasterr() names it), -EINVAL (not a matching
 * PEM certificate and key), -ENOMEM. */
int nb_tls_server_creds(const char *cert, const char *key,
			gnutls_certificate_credentials_t *out);

/* Client credentials that trust the CA certificates of a PEM file (ca:
 * certs/ca.pem for our clients). On failure *out is NULL. Errors: -ENOMEM,
 * -EINVAL (no certificate in the file, or an unreadable one; the message
 * names it). */
int nb_tls_client_creds(const char *ca, gnutls_certificate_credentials_t *out);

/* The SPKI pin of the certs directory ("sha256//<base64>", from
 * server.pin) into buf. Errors: -ENOENT/-EACCES, -EINVAL (not a pin). */
int nb_tls_read_pin(char *buf, size_t len);

/* The "sha256//<base64>" pin of the first certificate in a PEM file,
 * computed. Errors: as nb_tls_server_creds. */
int nb_tls_cert_pin(const char *cert, char *buf, size_t len);

/* The pin of the certificate the peer of session s presented (its first,
 * the leaf). Errors: -EKEYREJECTED (no certificate, or an unreadable one). */
int nb_tls_peer_pin(gnutls_session_t s, char *buf, size_t len);

/* A gnutls record error as a negative errno, the cause in the message:
 * -ECONNRESET when the connection is gone (premature end, push or pull
 * error), -EPROTO otherwise. */
int nb_tls_error(int err);

/* Reads up to len bytes of plaintext from a non-blocking session, passing
 * over non-fatal alerts (at most 16 in a row). Returns the count, 0 at a
 * clean end of stream, -EAGAIN (nothing to read yet), or the errors of
 * nb_tls_error. */
ssize_t nb_tls_recv(gnutls_session_t s, void *buf, size_t len);

/* Seconds from now until the certificate in the PEM file expires (negative
 * once it has). Errors: as nb_tls_server_creds, returned in *rv. */
int64_t nb_tls_cert_seconds_left(const char *cert, int *rv);

#endif
