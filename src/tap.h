/* netbench: TAP devices, the two ends of the userspace emulator's link.
 *
 * A TAP device is an Ethernet interface whose other side is a file
 * descriptor: every frame the namespace transmits on it is read from the fd,
 * and every frame written to the fd is received by the namespace. The device
 * is created in the network namespace of the thread that opens it and is
 * not persistent: closing the fd deletes it (so a crashed runner leaves
 * nothing behind, as with veth).
 */
#ifndef NB_TAP_H
#define NB_TAP_H

/* Creates TAP device `name` (IFF_TAP | IFF_NO_PI: the fd carries bare
 * Ethernet frames) inside the namespace of nsfd and returns its fd,
 * non-blocking and close-on-exec. Errors: -EOPNOTSUPP (no /dev/net/tun:
 * the kernel has no TUN/TAP), -EPERM, -EEXIST (name taken), other negative
 * errno; nb_lasterr() says which. */
int nb_tap_open(int nsfd, const char *name);

/* 0 when this machine has the TUN/TAP driver (its clone device opens;
 * checked once, then cached); otherwise a negative errno as nb_tap_open's,
 * with nb_lasterr() saying why. */
int nb_tap_usable(void);

#endif
