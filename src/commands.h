/* netbench: subcommands (argv[0] is the subcommand name). Each returns an
 * exit code of cli.h. */
#ifndef NB_COMMANDS_H
#define NB_COMMANDS_H

int nb_cmd_list(int argc, char **argv);
int nb_cmd_run(int argc, char **argv);
int nb_cmd_serve(int argc, char **argv);
int nb_cmd_link(int argc, char **argv);
int nb_cmd_compare(int argc, char **argv);

/* Prints "netbench: <msg>" on stderr. */
void nb_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
