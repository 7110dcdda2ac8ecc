/*
 * Provisioning: the policy of etc/provisioning.example.json (relying parties,
 * profiles, rollout waves, staffing) and what is derived from it.
 */
#include "services/provision/provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mobid_err prov_policy_load(const char *path, json_t **out)
{
    mobid_err err = prov_json_load(path, "etc/provisioning.example.json", out);
    if (!err && !json_is_array(json_object_get(*out, "relying_parties"))) {
        fprintf(stderr, "%s: no \"relying_parties\" list\n", path ? path : "(built-in policy)");
        json_decref(*out);
        *out = NULL;
        err = MOBID_ERR_MALFORMED;
    }
    return err;
}

mobid_err prov_profiles(const json_t *policy, const json_t *cts, json_t **out)
{
    const char *name;
    const json_t *p;
    mobid_err err = MOBID_OK;

    *out = json_object();
    json_object_foreach ((json_t *)json_object_get(policy, "profiles"), name, p) {
        json_t *q = NULL;
        err = prov_dcql(cts, json_string_value(json_object_get(p, "cardtype")),
                        json_string_value(json_object_get(p, "format")),
                        json_object_get(p, "claims"), &q);
        if (err) {
            fprintf(stderr, "provisioning: profile %s cannot be built\n", name);
            break;
        }
        json_object_set_new(*out, name, q);
    }
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

/* 31 December of the year that holds civil day `today`. */
static int64_t year_end(int64_t today)
{
    int64_t y;
    unsigned m, d;
    mobid_civil_from_days(today, &y, &m, &d);
    return mobid_days_from_civil(y, 12, 31);
}

int64_t prov_wave_day(const json_t *policy, int64_t wave, int64_t today)
{
    const json_t *waves = json_object_get(json_object_get(policy, "rollout"), "waves"), *w;
    int64_t day = today, prev = today;
    size_t i;

    /* waves are listed in order; each is computed so that the year-end wave can
     * be compared with the one before it */
    json_array_foreach (waves, i, w) {
        const char *opens = json_string_value(json_object_get(w, "opens"));
        prev = i ? day : today;
        if (opens && !strcmp(opens, "year_end")) {
            day = year_end(today);
            if (day <= prev)
                day = today + json_integer_value(json_object_get(w, "otherwise_after_days"));
        } else {
            day = today + json_integer_value(json_object_get(w, "opens_after_days"));
        }
        if (json_integer_value(json_object_get(w, "wave")) >= wave)
            break;
    }
    return day;
}
