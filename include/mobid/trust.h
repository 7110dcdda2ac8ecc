/*
 * mobid trust: where trust anchors come from, and the one function that turns
 * them into a mobid_trust set.
 *
 * VICAL (ISO/IEC 18013-5 2nd edition, Annex C; AAMVA publishes one for US
 * jurisdictions): a COSE_Sign1 whose payload is a CBOR map {version,
 * vicalProvider, date, ?vicalIssueID, ?nextUpdate, certificateInfos:[...]}; each
 * certificateInfo names an issuing CA (IACA) and the docTypes it may sign for.
 * The parser is lenient where real lists differ from the text and strict where
 * it matters: map keys are matched without regard to case (AAMVA writes
 * "Extensions" and "CertificateProfile"), a subjectKeyIdentifier wrapped in its
 * DER OCTET STRING (AAMVA's "ski") is unwrapped, unknown keys are ignored; but
 * the envelope, the signature, the dates and every certificate are checked.
 *
 * The library does no I/O: callers read files or fetch URLs and pass bytes.
 *
 * Ownership: a parsed mobid_vical points into the input bytes (keep them alive
 * and unchanged) and owns its entry array and parsed certificates, released by
 * mobid_vical_clear. Views in are only read during a call.
 */
#ifndef MOBID_TRUST_H
#define MOBID_TRUST_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/cose.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest VICAL accepted, most entries, most docTypes per entry. */
#define MOBID_VICAL_MAX_INPUT ((size_t)8 * 1024 * 1024)
#define MOBID_VICAL_MAX_ENTRIES 4096
#define MOBID_VICAL_MAX_DOCTYPES 16

typedef struct mobid_vical_entry {
    mobid_cert *cert;            /* the IACA (owned); NULL when it does not parse */
    mobid_view certificate;      /* its DER as listed */
    mobid_view serial;           /* serialNumber: big-endian bytes (may have
                                    leading zeros); empty when absent */
    mobid_view ski;              /* key identifier, DER wrapping removed */
    mobid_view doctypes[MOBID_VICAL_MAX_DOCTYPES];
    size_t n_doctypes;
    mobid_view issuing_authority;/* optional texts; empty when absent */
    mobid_view issuing_country;
    mobid_view state_or_province;
    mobid_time not_before, not_after; /* as listed; 0 when absent */
    mobid_err problem;           /* MOBID_OK, or why the entry is not used
                                    (CERT_INVALID, VICAL_INVALID for an SKI or
                                    serial that contradicts the certificate) */
    uint8_t serial_uint_[8];     /* internal: a serialNumber given as a uint */
} mobid_vical_entry;

typedef struct mobid_vical {
    mobid_cose_sign1 sign1;      /* the envelope, views into the input */
    mobid_view version;
    mobid_view provider;         /* vicalProvider */
    mobid_time date;
    bool has_next_update;
    mobid_time next_update;
    bool has_issue_id;
    uint64_t issue_id;           /* vicalIssueID */
    mobid_vical_entry *entries;  /* owned */
    size_t n_entries;
} mobid_vical;

/* Parse a VICAL (COSE_Sign1, tagged or not). Nothing is verified here.
 * Returns MOBID_OK, VICAL_INVALID (not a COSE_Sign1 with a VICAL payload, a
 * missing or mistyped required member, more than MOBID_VICAL_MAX_ENTRIES
 * entries, an entry without a certificate or docType), TOO_BIG, NOMEM. An
 * entry whose certificate does not parse is kept with its problem set.
 * Always call mobid_vical_clear on out. */
MOBID_MUST_CHECK mobid_err mobid_vical_parse(mobid_view in, mobid_vical *out);
void mobid_vical_clear(mobid_vical *v);

/* Verify a parsed VICAL at time `at` (0 = now): the x5chain of its COSE_Sign1
 * to `anchors` for the VICAL signer use (EKU 1.0.18013.5.1.8 under a CA, or a
 * pinned signer), the signature, date <= at and, unless allow_stale, at <=
 * nextUpdate. Returns MOBID_OK, VICAL_SIGNER_UNTRUSTED (no x5chain, no path,
 * a certificate expired or unfit), VICAL_SIGNATURE_INVALID, VICAL_NOT_YET_VALID,
 * VICAL_EXPIRED, INVALID_ARG; detail (may be NULL) says more. */
MOBID_MUST_CHECK mobid_err mobid_vical_verify(const mobid_vical *v, mobid_trust *anchors,
                                              mobid_time at, bool allow_stale, char *detail,
                                              size_t detail_len);

/* Add every usable entry of a (verified) VICAL to t as an anchor restricted to
 * its docTypes; *added (may be NULL) receives how many. */
mobid_err mobid_vical_add_to_trust(const mobid_vical *v, mobid_trust *t, size_t *added);

/* What a VICAL says, for people and scripts: {"version", "vicalProvider",
 * "date", "nextUpdate", "vicalIssueID", "entries": [{"subject", "issuingCountry",
 * "stateOrProvinceName", "issuingAuthority", "docTypes", "notBefore",
 * "notAfter", "serialNumber" (hex), "ski" (hex), "problem"}]}. New reference. */
MOBID_MUST_CHECK mobid_err mobid_vical_to_json(const mobid_vical *v, json_t **out);

/* ---- building a VICAL (a ministry publishing its IACAs, and tests) ---- */

typedef struct mobid_vical_item {
    mobid_cert *cert;            /* the IACA */
    const char *const *doctypes; /* at least one */
    size_t n_doctypes;
    const char *issuing_country; /* NULL: omitted */
} mobid_vical_item;

typedef struct mobid_vical_params {
    const char *provider;        /* vicalProvider */
    mobid_time date;             /* 0: now */
    mobid_time next_update;      /* 0: omitted */
    uint64_t issue_id;           /* 0: omitted */
    const mobid_vical_item *items;
    size_t n_items;
    const mobid_key *key;        /* the VICAL signer's private key */
    mobid_cert *const *chain;    /* its certificate first; put in x5chain */
    size_t n_chain;
} mobid_vical_params;

/* Build and sign a VICAL (untagged COSE_Sign1, ES256/384/512 by the key's
 * curve), appended to out. INVALID_ARG for missing parts, or the encoder's and
 * signer's errors. */
MOBID_MUST_CHECK mobid_err mobid_vical_sign(const mobid_vical_params *p, mobid_buf *out);

/* ---- the one way to build a trust set ---- */

/* Everything a verifier trusts, as bytes already read by the caller. */
typedef struct mobid_trust_config {
    const mobid_view *anchors;      /* PEM bundles or DER certificates: IACAs, or
                                       pinned document signers / issuers */
    size_t n_anchors;
    const mobid_view *vicals;       /* VICALs (COSE_Sign1 bytes) */
    size_t n_vicals;
    const mobid_view *vical_anchors;/* PEM/DER roots the VICAL signers chain to */
    size_t n_vical_anchors;
    const char *const *issuers;     /* SD-JWT VC issuer identifiers */
    size_t n_issuers;
    mobid_trust_policy policy;
    mobid_time at;                  /* VICAL checks at this time; 0 = now */
    bool allow_stale_vicals;        /* accept a VICAL past nextUpdate (a service
                                       keeping its last good list) */
} mobid_trust_config;

/* Build a trust set: every anchor (each input must hold at least one
 * certificate), every VICAL verified against vical_anchors and its IACAs added
 * for their docTypes, the issuer identifiers, the policy. VICALs need
 * vical_anchors (INVALID_ARG otherwise). On failure *out is NULL and detail
 * (may be NULL) names the input ("anchors[1]: ...", "vicals[0]: ...").
 * Returns MOBID_OK, CERT_INVALID, the errors of mobid_vical_parse and
 * mobid_vical_verify, INVALID_ARG (nothing to trust at all, a VICAL without
 * anchors, an empty issuer), NOMEM. The caller frees *out. */
MOBID_MUST_CHECK mobid_err mobid_trust_build(const mobid_trust_config *c, mobid_trust **out,
                                             char *detail, size_t detail_len);

#ifdef __cplusplus
}
#endif
#endif
