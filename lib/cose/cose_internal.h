/* lib/cose internals shared by COSE_Sign1 and COSE_Mac0. Not installed. */
#ifndef MOBID_COSE_INTERNAL_H
#define MOBID_COSE_INTERNAL_H

#include <mobid/cose.h>

/* Most labels accepted in one header bucket: bounds the duplicate check. */
#define COSE_MAX_LABELS 64

/* The two header buckets of a message and what the library reads from them. */
typedef struct cose_headers {
    mobid_view protected_bytes;
    mobid_cbor_item prot;   /* decoded protected map */
    mobid_cbor_item unprot; /* unprotected map */
    bool has_alg;
    int64_t alg_id;         /* 0 when absent or not an integer */
    mobid_view kid;
    mobid_view x5chain[MOBID_COSE_MAX_X5CHAIN];
    size_t x5chain_count;
    bool x5chain_protected;
} cose_headers;

/* Check both buckets against the RFC 9052 header rules and fill h. */
mobid_err cose_parse_headers(const mobid_cbor_item *prot_bstr, const mobid_cbor_item *unprot,
                             cose_headers *h);

/* The four elements of a COSE_Sign1 / COSE_Mac0 array, after the optional tag. */
typedef struct cose_message {
    mobid_view span;
    bool tagged;
    mobid_cbor_item elem[4];
} cose_message;

/* Unwrap the tag (only `tag` is accepted) and split the 4-element array. */
mobid_err cose_split(const mobid_cbor_item *item, uint64_t tag, cose_message *m);

/* Pieces of ["<context>", bstr(prot), bstr(aad), bstr(payload)] for hashing
 * without a concatenated copy: parts[0..5], heads stored in `heads`. */
typedef struct cose_tbs {
    uint8_t lead[32]; /* array head, context text, protected bstr head */
    uint8_t aad_head[9];
    uint8_t payload_head[9];
    mobid_view parts[6];
} cose_tbs;

/* context is "Signature1" or "MAC0". */
void cose_tbs_init(cose_tbs *t, const char *context, mobid_view prot, mobid_view aad,
                   mobid_view payload);
/* Append all the pieces to out. */
mobid_err cose_tbs_append(const cose_tbs *t, mobid_buf *out);

/* Encode a CBOR byte-string head for len into out[9]; returns its size. */
size_t cose_bstr_head(uint64_t len, uint8_t out[9]);

#endif
