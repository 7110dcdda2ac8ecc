// mobid-module: mdoc
/*
 * Fuzz target: IssuerSigned parsing as a wallet does it — read the credential
 * (MSO, validity, items checked against their digests), show each value as
 * JSON, and build a DeviceResponse revealing everything it holds.
 */
#include <mobid/mdoc.h>

#include <stdlib.h>
#include <string.h>

#define MAX_REVEAL 64

static mobid_key *device;
static mobid_buf transcript;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void init_once(void)
{
    if (device)
        return;
    mobid_buf_init(&transcript, 0);
    if (mobid_key_generate(MOBID_CURVE_P256, &device) != MOBID_OK ||
        mobid_mdoc_transcript_oid4vp_dcapi("https://fuzz.example", "n", mobid_view_make(NULL, 0),
                                           &transcript) != MOBID_OK)
        abort();
}

/* Present every item read (names copied to C strings as the API takes them). */
static void present_all(mobid_view in, const mobid_mdoc_doc *d)
{
    mobid_mdoc_ref refs[MAX_REVEAL];
    char *names[2 * MAX_REVEAL];
    size_t n = d->n_items < MAX_REVEAL ? d->n_items : MAX_REVEAL, k = 0;
    mobid_buf out;
    for (size_t i = 0; i < n; i++) {
        names[k++] = mobid_view_strdup(d->items[i].ns);
        names[k++] = mobid_view_strdup(d->items[i].id);
        refs[i].ns = names[k - 2];
        refs[i].id = names[k - 1];
        if (!refs[i].ns || !refs[i].id)
            n = i;
    }
    mobid_mdoc_present_opts o;
    memset(&o, 0, sizeof o);
    o.issuer_signed = in;
    o.device_key = device;
    o.transcript = mobid_buf_view(&transcript);
    o.reveal = refs;
    o.n_reveal = n;
    mobid_buf_init(&out, 0);
    if (mobid_mdoc_present(&o, &out) == MOBID_OK && out.len == 0)
        abort(); /* success must produce a response */
    mobid_buf_free(&out);
    for (size_t i = 0; i < k; i++)
        mobid_free(names[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_mdoc_doc d;
    mobid_view in = mobid_view_make(data, size);
    init_once();
    if (mobid_mdoc_issuer_signed_read(in, &d) == MOBID_OK) {
        for (size_t i = 0; i < d.n_items; i++) {
            json_t *j = NULL;
            if (mobid_mdoc_value_to_json(d.items[i].value, &j) == MOBID_OK)
                json_decref(j);
        }
        present_all(in, &d);
    }
    mobid_mdoc_doc_free(&d);
    return 0;
}
