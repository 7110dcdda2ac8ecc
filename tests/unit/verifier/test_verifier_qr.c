/*
 * QR codes of verification sessions, rendered on demand: creating a session renders
 * none; GET .../qr.png and .../qr.svg serve them to the party that owns the session
 * (the PNG reads back, with zbar, as the session's deep link); "qr":["png","svg"] on
 * creation embeds them; anything else in "qr" is refused.
 */
/* vwallet.h carries the whole test wallet; this file needs only its fixture part. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "vwallet.h"
#include "qr/qr.h"

/* GET url with the party's API key (or none); the body in out. */
static long get_raw(const char *url, bool with_key, mobid_buf *out, char *ctype, size_t ctype_len)
{
    const char *hdr[] = { "Authorization: Bearer " VF_API_KEY, NULL };
    mobid_http_result r;
    assert_int_equal(mobid_http_client_request(F.http, "GET", url, with_key ? hdr : NULL, NULL,
                                               mobid_view_str(""), &r),
                     MOBID_OK);
    long status = r.status;
    mobid_buf_append_view(out, mobid_buf_view(&r.body));
    if (ctype)
        snprintf(ctype, ctype_len, "%s", r.content_type ? r.content_type : "");
    mobid_http_result_free(&r);
    return status;
}

static void test_create_renders_no_image(void **state)
{
    (void)state;
    json_t *created = create(SDJWT_QUERY);
    assert_null(json_object_get(created, "qr_png"));
    assert_null(json_object_get(created, "qr_svg"));
    const char *png_url = json_string_value(json_object_get(created, "qr_png_url"));
    const char *svg_url = json_string_value(json_object_get(created, "qr_svg_url"));
    assert_non_null(png_url);
    assert_non_null(svg_url);
    assert_non_null(strstr(png_url, json_string_value(json_object_get(created, "id"))));

    mobid_buf img;
    char ctype[64], *text = NULL;
    mobid_buf_init(&img, 0);
    assert_int_equal(get_raw(png_url, true, &img, ctype, sizeof ctype), 200);
    assert_string_equal(ctype, "image/png");
    assert_int_equal(mobid_qr_read_png(mobid_buf_view(&img), &text), MOBID_OK);
    assert_string_equal(text, json_string_value(json_object_get(created, "deep_link")));
    free(text);

    img.len = 0;
    assert_int_equal(get_raw(svg_url, true, &img, ctype, sizeof ctype), 200);
    assert_string_equal(ctype, "image/svg+xml");
    assert_memory_equal(img.ptr, "<svg", 4);

    img.len = 0;
    assert_int_equal(get_raw(png_url, false, &img, NULL, 0), 401);
    mobid_buf_free(&img);
    json_decref(created);
}

static void test_unknown_session_image(void **state)
{
    (void)state;
    char url[256];
    mobid_buf img;
    mobid_buf_init(&img, 0);
    snprintf(url, sizeof url, "%s/api/v1/verifications/no-such-id/qr.png",
             mobid_http_server_url(F.srv));
    assert_int_equal(get_raw(url, true, &img, NULL, 0), 404);
    mobid_buf_free(&img);
}

static void test_images_on_request(void **state)
{
    (void)state;
    long st;
    json_t *body = json_loads(SDJWT_QUERY, 0, NULL);
    json_object_set_new(body, "qr", json_pack("[s,s]", "png", "svg"));
    json_t *j = rp_call("POST", "/api/v1/verifications", body, &st);
    assert_int_equal(st, 201);
    const char *png = "data:image/png;base64,iVBORw0KGgo";
    assert_true(!strncmp(json_string_value(json_object_get(j, "qr_png")), png, strlen(png)));
    assert_true(!strncmp(json_string_value(json_object_get(j, "qr_svg")), "<svg", 4));
    json_decref(j);

    json_object_set_new(body, "qr", json_pack("[s]", "gif"));
    j = rp_call("POST", "/api/v1/verifications", body, &st);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "INVALID_ARG");
    json_decref(j);
    json_decref(body);
}

static int group_setup(void **state)
{
    (void)state;
    vf_setup(&F);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    vf_teardown(&F);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_renders_no_image),
        cmocka_unit_test(test_unknown_session_image),
        cmocka_unit_test(test_images_on_request),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
