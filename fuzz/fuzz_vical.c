/*
 * Fuzz target: VICAL parsing in lib/trust (COSE_Sign1 envelope, the list's
 * members, every certificateInfo and its certificate), the JSON view of what
 * parsed, and verification against an empty root set and a trust set fed by it.
 * mobid-module: trust
 */
#include <mobid/trust.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_vical v;
    mobid_trust *roots = NULL, *t = NULL;
    json_t *j = NULL;
    if (mobid_vical_parse(mobid_view_make(data, size), &v) == MOBID_OK &&
        mobid_trust_new(&roots) == MOBID_OK && mobid_trust_new(&t) == MOBID_OK) {
        mobid_err err = mobid_vical_verify(&v, roots, 1767225600, false, NULL, 0);
        (void)err;
        (void)mobid_vical_add_to_trust(&v, t, NULL);
        if (mobid_vical_to_json(&v, &j) == MOBID_OK)
            json_decref(j);
    }
    mobid_trust_free(roots);
    mobid_trust_free(t);
    mobid_vical_clear(&v);
    return 0;
}
