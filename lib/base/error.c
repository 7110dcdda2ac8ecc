#include <mobid/error.h>

const char *mobid_err_name(mobid_err err)
{
    switch (err) {
#define MOBID_ERR_NAME_(name, num, msg) \
    case MOBID_ERR_##name:              \
        return #name;
        MOBID_ERR_LIST(MOBID_ERR_NAME_)
#undef MOBID_ERR_NAME_
    default:
        return "UNKNOWN";
    }
}

const char *mobid_strerror(mobid_err err)
{
    switch (err) {
#define MOBID_ERR_MSG_(name, num, msg) \
    case MOBID_ERR_##name:             \
        return msg;
        MOBID_ERR_LIST(MOBID_ERR_MSG_)
#undef MOBID_ERR_MSG_
    default:
        return "unknown error";
    }
}
