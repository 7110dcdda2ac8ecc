/*
 * Fuzz target: certificate and key parsing in lib/crypto (PEM and DER, bundles),
 * and a chain check of whatever parses against an empty trust set.
 * mobid-module: crypto
 */
#include <mobid/crypto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_view in = mobid_view_make(data, size);
    mobid_key *key = NULL;
    if (mobid_key_from_pem(in, &key) == MOBID_OK) {
        mobid_buf pem;
        mobid_buf_init(&pem, 0);
        (void)mobid_key_to_pem(key, true, &pem);
        mobid_buf_free(&pem);
    }
    mobid_key_free(key);

    mobid_cert **certs = NULL;
    size_t n = 0;
    if (mobid_cert_parse_all(in, &certs, &n) == MOBID_OK && n > 0) {
        mobid_trust *trust = NULL;
        if (mobid_trust_new(&trust) == MOBID_OK) {
            mobid_err err = mobid_trust_verify_chain(trust, certs, n, 1600000000,
                                                     MOBID_PURPOSE_MDOC_DS);
            (void)err;
            mobid_trust_free(trust);
        }
        mobid_buf subject;
        mobid_buf_init(&subject, 0);
        (void)mobid_cert_subject(certs[0], &subject);
        mobid_buf_free(&subject);
    }
    mobid_cert_list_free(certs, n);
    return 0;
}
