/* Test helper: an nb_results filled with known figures (the writers' and
 * the reader's tests start from it). */
#ifndef NB_RESULTS_TESTUTIL_H
#define NB_RESULTS_TESTUTIL_H

#include "results.h"

/* 10M_40ms and unthrottled x tcp, h2 x download, upload: 8 cases. Each
 * with 3 replicates of goodput base_mbps x (1, 1.01, 0.99) x (index + 1)
 * ... except: 10M_40ms/h2/upload FAILED after one replicate (error text
 * with HTML and CSV specials), and 10M_40ms/h2/download has a fourth,
 * discarded replicate. Series of 20 buckets. nb_results_finish done. */
void results_sample(struct nb_results *r, double base_mbps);

/* A fresh temp directory (mkdtemp), and its recursive removal. */
void results_tmpdir(char *buf, size_t len);
void results_rmdir(const char *dir);

/* Group setup and teardown: results_dir is a fresh temp directory for the
 * group's tests, removed with all it holds afterwards. */
extern char results_dir[64];
int results_dir_setup(void **state);
int results_dir_teardown(void **state);

#endif
