/* netbench: child processes that a case owns.
 *
 * nb_spawn() forks and execs a program inside a network namespace, in a
 * process group of its own (a ^C on the terminal reaches only the runner,
 * which tears down in order), with PR_SET_PDEATHSIG(SIGKILL) so that it dies
 * with the runner whatever happens, and waits for it to say "READY\n" on the
 * readiness pipe (fd 3 in the child). The undo release sends SIGTERM to the
 * group, waits NB_SPAWN_TERM_MS, then SIGKILLs the group, and reaps the
 * child, keeping its exit status and CPU usage.
 */
#ifndef NB_SPAWN_H
#define NB_SPAWN_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

struct nb_undo;

#define NB_SPAWN_TERM_MS 2000
#define NB_READY_FD 3

struct nb_child {
	pid_t pid;
	bool reaped;
	int status;            /* wait status, once reaped */
	struct rusage ru;      /* CPU of the child, once reaped */
	char name[32];
	int undo_idx;
};

/* Spawns argv (argv[0] is a path) inside nsfd (-1: this namespace) and
 * waits up to ready_ms for "READY\n" on fd NB_READY_FD of the child
 * (ready_ms 0: returns at once, for programs that know nothing of the
 * pipe; peer.h waits for those).
 * Registers the child (NB_RES_PROCESS, id = pid). Errors: -ECHILD (the child
 * exited before it was ready; nb_lasterr() has its status), -ETIMEDOUT (no
 * readiness: the child is killed and reaped), -EINTR, negative errno from
 * pipe/fork. On error nothing is left running. */
int nb_spawn_at(struct nb_undo *u, const char *file, int line,
		struct nb_child *c, int nsfd, char *const argv[], int ready_ms);
#define nb_spawn(u, c, nsfd, argv, ready_ms)                                   \
	nb_spawn_at((u), __FILE__, __LINE__, (c), (nsfd), (argv), (ready_ms))

/* As nb_spawn, with the child's stdout and stderr on out_fd (-1: the
 * runner's). Errors as nb_spawn. */
int nb_spawn_out_at(struct nb_undo *u, const char *file, int line,
		    struct nb_child *c, int nsfd, char *const argv[],
		    int ready_ms, int out_fd);
#define nb_spawn_out(u, c, nsfd, argv, ready_ms, out_fd)                       \
	nb_spawn_out_at((u), __FILE__, __LINE__, (c), (nsfd), (argv),          \
			(ready_ms), (out_fd))

/* Terminates (SIGTERM, then SIGKILL after NB_SPAWN_TERM_MS) and reaps the
 * child, then SIGKILLs what is left in its process group and reaps those
 * handed to this process (a subreaper); idempotent. Returns 0, or -ECHILD if it was already reaped by
 * someone else. */
int nb_child_stop(struct nb_child *c);

/* This process's children at one moment, to stop later those that
 * appear after it. */
#define NB_CHILD_SET_MAX 256
struct nb_child_set {
	pid_t pid[NB_CHILD_SET_MAX];
	size_t n;
};

/* Takes the set of this process's children now (procfs.h). */
void nb_children_now(struct nb_child_set *s);

/* SIGKILLs and reaps every child of this process that is not in before,
 * for up to a second while more keep coming: what a child handed to this
 * process (a subreaper) outside its process group -- a browser's crash
 * handler daemonizes, and its orphan becomes ours. Call it once that
 * child is stopped, with nothing else spawned since before was taken. */
void nb_children_stop_new(const struct nb_child_set *before);

/* Reaps the child if it has exited (no signal sent). Returns 1 if reaped,
 * 0 if still running, negative errno. */
int nb_child_poll(struct nb_child *c);

/* CPU seconds (user + system) of a reaped child. */
double nb_child_cpu_seconds(const struct nb_child *c);

/* CPU seconds (user + system) the child has used so far, from
 * /proc/PID/stat (clock-tick resolution, 10 ms), or the final figure once
 * it is reaped. Errors: -ENOENT (gone), -EIO (unreadable). */
int nb_child_cpu_now(const struct nb_child *c, double *seconds);

/* The path of the netbench executable: $NETBENCH_EXE, else the target of
 * /proc/self/exe (or the link itself when that path is not reachable, e.g.
 * in a chroot) when that is a program named netbench. Errors: NULL, and
 * nb_lasterr() says why (a test program without $NETBENCH_EXE, which must
 * not spawn copies of itself). */
const char *nb_self_exe(void);

/* Tells the parent that this process is ready (used by `netbench serve`):
 * writes "READY\n" to fd if it is open, then closes it. */
void nb_signal_ready(int fd);

#endif
