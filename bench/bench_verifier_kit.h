/*
 * What the verifier benchmarks share: a verifier to measure (started in this process,
 * as a child `mobid verifier serve`, or a running deployment named by URL), wallets
 * that answer it, one whole verification loop timed step by step, and percentiles.
 *
 * A wallet here does the wallet's protocol work with the library lib/wallet is built
 * on: it fetches and verifies the signed request object (x5c chain to the RP CA,
 * client_id, the registration against the ministry root, the query allowed), builds a
 * fresh SD-JWT VC presentation with a key-binding JWT (or an mdoc DeviceResponse with
 * the OpenID4VP handover) for the request's nonce, encrypts it for direct_post.jwt and
 * posts it. It keeps no PIN vault: lib/wallet spends one single-use copy per
 * presentation and seals the vault with scrypt, which would measure the wallet's
 * phone-side storage rather than the service.
 */
#ifndef MOBID_BENCH_VERIFIER_KIT_H
#define MOBID_BENCH_VERIFIER_KIT_H

#include <stdbool.h>
#include <sys/types.h>
#include <mobid/crypto.h>
#include <mobid/oid4vp.h>
#include "http/client.h"
#include "services/verifier/verifier.h"

/* The steps of one verification, in order. */
enum { VK_CREATE, VK_FETCH, VK_WALLET, VK_POST, VK_RESULT, VK_STEPS };
extern const char *const vk_step_names[VK_STEPS];

typedef struct vkit_opts {
    const char *target;       /* running verifier's URL, or NULL to start one */
    const char *api_key;      /* with target */
    const char *roots_dir;    /* with target: its pki folder (rp-ca.pem, iaca.pem, ds-*) */
    const char *ca_file;      /* CA bundle for an https:// target, or NULL */
    const char *vct, *doctype, *ns;
    bool use_mdoc, encrypted, child;
} vkit_opts;

typedef struct vkit {
    vkit_opts o;
    char dir[64];             /* temporary folder of a verifier started here */
    char url[256];            /* base URL of the verifier */
    char *api_key, *body;     /* creation request body */
    char *iss;
    mobid_key *iaca_k, *ds_k, *reg_k, *rpca_k, *rp_k;
    mobid_cert *iaca, *ds, *reg, *rpca, *rp;
    mobid_buf rp_roots, reg_roots; /* PEM */
    verifier_ctx *ctx;        /* in-process verifier */
    mobid_http_server *srv;
    pid_t child;              /* child `mobid verifier serve` */
} vkit;

typedef struct vwallet {
    mobid_key *holder;
    mobid_buf sdjwt, mdoc;
    mobid_trust *rp_trust, *reg_trust;
    mobid_http_client *http;
} vwallet;

/* Prepare (and start, without a target) the verifier. */
mobid_err vkit_start(vkit *k, const vkit_opts *o);
void vkit_stop(vkit *k);
/* A wallet holding its own key and credentials issued for this verifier. */
mobid_err vwallet_new(const vkit *k, vwallet *w);
void vwallet_free(vwallet *w);
/* One whole verification: create (the relying party), fetch, wallet work, post,
 * result. t gets each step's seconds; on failure code gets a stable name (an error
 * code, or HTTP_<status> with the step) and the error is returned. */
mobid_err vkit_loop(const vkit *k, vwallet *w, double t[VK_STEPS], char *code, size_t code_len);
/* The same loop as a state machine, for wallets driven from a few threads: start fills
 * in the first request (method, url, hdr, ctype, body); after each request ends (err
 * its transport error, r its answer), step reads the answer and returns 1 with the next
 * request filled in, 0 when the verification is done (t as vkit_loop's), or -1 on
 * failure (err and code as vkit_loop's). */
typedef struct vloop {
    int step;                 /* the step in progress */
    double at[VK_STEPS + 1];  /* when each step began; at[VK_STEPS] the end */
    const char *method, *ctype, *hdr[2];
    char url[512], auth[300], id[128];
    mobid_view body;
    mobid_http_result r;      /* the current request's answer */
    long http;
    mobid_err err;
    mobid_oid4vp_request req;
    mobid_buf form;
} vloop;
void vkit_loop_start(const vkit *k, vloop *l);
int vkit_loop_step(const vkit *k, vwallet *w, vloop *l, mobid_err err, double t[VK_STEPS],
                   char *code, size_t code_len);

/* The relying party's POST (creation) alone; *id (heap) the session id when wanted. */
mobid_err vkit_create(const vkit *k, mobid_http_client *http, char **id, long *status);

/* CPU seconds used so far by this process (pid 0) or by pid, from /proc. */
double vk_cpu_s(pid_t pid);

/* p-th percentile (0..100) of v[0..n) in milliseconds; sorts v. */
double vk_pct_ms(double *v, size_t n, double p);
/* {"p50","p95","p99"} in ms of v (sorted in place). */
json_t *vk_pcts(double *v, size_t n);
/* `mobid bench verify --format F` run now in a child of this binary: its
 * verifications per second, or 0 when it could not run. */
double vk_bench_verify_rate(bool mdoc);

#endif
