/*
 * `mobid bench cbor [--json] [--seconds S]`: CBOR speed on an mdoc-shaped
 * DeviceResponse built by the encoder (one document, 24 tag-24 items, an
 * issuerAuth with a certificate-sized blob and an MSO of 24 digests).
 *
 * Measured in alternating rounds: full validation (mobid_cbor_decode), decode
 * plus a walk over every item, encoding the same structure, and the baseline
 * every verifier pays on the same bytes anyway: SHA-256 over them. "ratio" is
 * validation throughput over SHA-256 throughput (above 1: validating costs
 * less than hashing the bytes once).
 */
#include "bench.h"
#include "cli/cli.h"

#include <mobid/cbor.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEMS 24
#define ROUND_SECONDS 0.1

static void put_kv_text(mobid_cbor_enc *e, const char *k, const char *v)
{
    mobid_cbor_put_cstr(e, k);
    mobid_cbor_put_cstr(e, v);
}

static void put_issuer_item(mobid_cbor_enc *e, unsigned id)
{
    uint8_t rnd[32];
    char name[32];
    memset(rnd, (int)(id * 37 + 1), sizeof rnd);
    snprintf(name, sizeof name, "element_%02u", id);
    mobid_cbor_put_tag(e, 24);
    mobid_cbor_bstr_begin(e);
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "digestID");
    mobid_cbor_put_uint(e, id);
    mobid_cbor_put_cstr(e, "random");
    mobid_cbor_put_bytes(e, mobid_view_make(rnd, sizeof rnd));
    put_kv_text(e, "elementIdentifier", name);
    mobid_cbor_put_cstr(e, "elementValue");
    if (id % 3 == 0)
        mobid_cbor_put_bool(e, true);
    else if (id % 3 == 1) {
        mobid_cbor_put_tag(e, 1004);
        mobid_cbor_put_cstr(e, "2024-10-20");
    } else
        mobid_cbor_put_cstr(e, "a value of moderate length");
    mobid_cbor_map_end(e);
    mobid_cbor_bstr_end(e);
}

static void put_issuer_auth(mobid_cbor_enc *e)
{
    static uint8_t cert[700], sig[64], digest[32];
    mobid_cbor_array_begin(e);
    mobid_cbor_put_bytes(e, mobid_view_make("\xa1\x01\x26", 3));
    mobid_cbor_map_begin(e);
    mobid_cbor_put_uint(e, 33);
    mobid_cbor_put_bytes(e, mobid_view_make(cert, sizeof cert));
    mobid_cbor_map_end(e);
    mobid_cbor_put_tag(e, 24);
    mobid_cbor_bstr_begin(e);
    mobid_cbor_map_begin(e);
    put_kv_text(e, "version", "1.0");
    put_kv_text(e, "digestAlgorithm", "SHA-256");
    put_kv_text(e, "docType", "org.iso.18013.5.1.mDL");
    mobid_cbor_put_cstr(e, "valueDigests");
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "org.iso.18013.5.1");
    mobid_cbor_map_begin(e);
    for (unsigned i = 0; i < ITEMS; i++) {
        mobid_cbor_put_uint(e, i);
        mobid_cbor_put_bytes(e, mobid_view_make(digest, sizeof digest));
    }
    mobid_cbor_map_end(e);
    mobid_cbor_map_end(e);
    mobid_cbor_map_end(e);
    mobid_cbor_bstr_end(e);
    mobid_cbor_put_bytes(e, mobid_view_make(sig, sizeof sig));
    mobid_cbor_array_end(e);
}

static mobid_err build(mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    put_kv_text(&e, "version", "1.0");
    mobid_cbor_put_cstr(&e, "documents");
    mobid_cbor_array_begin(&e);
    mobid_cbor_map_begin(&e);
    put_kv_text(&e, "docType", "org.iso.18013.5.1.mDL");
    mobid_cbor_put_cstr(&e, "issuerSigned");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "nameSpaces");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "org.iso.18013.5.1");
    mobid_cbor_array_begin(&e);
    for (unsigned i = 0; i < ITEMS; i++)
        put_issuer_item(&e, i);
    mobid_cbor_array_end(&e);
    mobid_cbor_map_end(&e);
    mobid_cbor_put_cstr(&e, "issuerAuth");
    put_issuer_auth(&e);
    mobid_cbor_map_end(&e);
    mobid_cbor_map_end(&e);
    mobid_cbor_array_end(&e);
    mobid_cbor_put_cstr(&e, "status");
    mobid_cbor_put_uint(&e, 0);
    mobid_cbor_map_end(&e);
    return mobid_cbor_enc_finish(&e);
}

/* Visit every item below `it`, entering tag-24 payloads; returns the count. */
static size_t walk(const mobid_cbor_item *it)
{
    mobid_cbor_iter iter;
    mobid_cbor_item child, inner;
    size_t n = 1;
    if (it->type == MOBID_CBOR_TAG && it->arg == 24 &&
        mobid_cbor_get_embedded(it, NULL, &inner, NULL) == MOBID_OK)
        n += walk(&inner);
    mobid_cbor_iter_init(&iter, it);
    while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK)
        n += walk(&child);
    return n;
}

typedef struct bench_case {
    const char *name;
    double ops, secs;
} bench_case;

static volatile size_t sink;

/* One round of case k over `in`; returns the operations done. */
static double run_round(int k, mobid_view in)
{
    double t0 = bench_now(), ops = 0;
    while (bench_now() - t0 < ROUND_SECONDS) {
        for (int i = 0; i < 64; i++) {
            mobid_cbor_item it;
            uint8_t h[MOBID_HASH_MAX];
            mobid_buf out;
            if (k == 0 && mobid_cbor_decode_exact(in, NULL, &it) == MOBID_OK)
                sink += it.arg;
            if (k == 1 && mobid_cbor_decode_exact(in, NULL, &it) == MOBID_OK)
                sink += walk(&it);
            if (k == 2) {
                mobid_buf_init(&out, 0);
                if (build(&out) == MOBID_OK)
                    sink += out.len;
                mobid_buf_free(&out);
            }
            if (k == 3 && mobid_hash(MOBID_HASH_SHA256, in, h) == MOBID_OK)
                sink += h[0];
        }
        ops += 64;
    }
    return ops;
}

static int cbor_bench_main(int argc, char **argv)
{
    bool json = false;
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: mobid bench cbor [--json] [--seconds S]\n");
            return CLI_EXIT_OK;
        } else
            return cli_usage_error("usage: mobid bench cbor [--json] [--seconds S]\n",
                                   "unknown option '%s'", argv[i]);
    }
    mobid_buf doc;
    mobid_cbor_item top;
    mobid_buf_init(&doc, 0);
    if (build(&doc) != MOBID_OK || mobid_cbor_decode_exact(mobid_buf_view(&doc), NULL, &top)) {
        mobid_buf_free(&doc);
        return cli_fail(json, MOBID_ERR_MALFORMED, "cannot build the benchmark input");
    }
    size_t items = walk(&top);
    bench_case c[4] = { { "decode", 0, 0 }, { "walk", 0, 0 }, { "encode", 0, 0 },
                        { "sha256", 0, 0 } };
    double start = bench_now();
    while (bench_now() - start < seconds)
        for (int k = 0; k < 4; k++) {
            double t0 = bench_now();
            c[k].ops += run_round(k, mobid_buf_view(&doc));
            c[k].secs += bench_now() - t0;
        }
    double mb = (double)doc.len / 1e6;
    double rate[4];
    for (int k = 0; k < 4; k++)
        rate[k] = c[k].ops / c[k].secs;
    json_t *j = json_pack("{s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f}", "input_bytes", (json_int_t)doc.len,
                          "items", (json_int_t)items, "decode_per_s", rate[0], "decode_mb_per_s",
                          rate[0] * mb, "walk_per_s", rate[1], "encode_per_s", rate[2],
                          "sha256_mb_per_s", rate[3] * mb, "ratio", rate[0] / rate[3]);
    if (json)
        cli_print_json(j);
    else
        fprintf(stdout,
                "input %zu bytes, %zu items\ndecode %.0f/s (%.0f MB/s)\ndecode+walk %.0f/s\n"
                "encode %.0f/s\nsha256 %.0f MB/s\nratio decode/sha256 %.2f\n",
                doc.len, items, rate[0], rate[0] * mb, rate[1], rate[2], rate[3] * mb,
                rate[0] / rate[3]);
    json_decref(j);
    mobid_buf_free(&doc);
    return CLI_EXIT_OK;
}

MOBID_BENCH(cbor, "cbor", "CBOR decode, walk and encode of an mdoc-shaped response",
            cbor_bench_main)
