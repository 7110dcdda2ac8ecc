/*
 * Keys held in a PKCS#11 token (a hardware security module; SoftHSM2 in tests).
 *
 * A token key is an ordinary mobid_key: its EC_KEY carries the public point and
 * an EC_KEY_METHOD whose sign calls C_Sign. mobid_sign (hence COSE and JOSE) and
 * certificate issuance (X509_sign takes the legacy path for such a "foreign" key)
 * go through ECDSA as for a file key and never notice. The private scalar never
 * leaves the token: keys are generated inside it, sensitive and not extractable.
 *
 * Modules are loaded with dlopen and initialised with OS locking. Each (module,
 * token) pair gets one logged-in session shared by its keys and used under a
 * mutex, since a PKCS#11 session runs one operation at a time. The session is
 * closed, and the module finalised, with the last key.
 *
 * This speaks PKCS#11 directly (the header from p11-kit): Debian's libp11 0.4.12
 * can only generate RSA keys in a token.
 */
#include "crypto_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>

#define P11_MAX_SLOTS 64
#define P11_MAX_ATTR 256

typedef struct p11_token {
    struct p11_token *next;
    char *module;                 /* path given to dlopen */
    char *label;                  /* token label, trimmed */
    void *dl;
    CK_FUNCTION_LIST *f;
    bool initialized;             /* we called C_Initialize and owe a C_Finalize */
    CK_SESSION_HANDLE session;
    uint8_t pin_hash[32];         /* SHA-256 of the PIN that logged in: a later caller
                                     must know it too, not ride on the open session */
    pthread_mutex_t lock;         /* one operation at a time on the session */
    long refs;                    /* under reg_lock */
} p11_token;

/* What a token key's EC_KEY carries (ex_data, freed with the EC_KEY). */
typedef struct p11_ref {
    p11_token *token;
    CK_OBJECT_HANDLE obj;
} p11_ref;

static p11_token *tokens;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;
static EC_KEY_METHOD *method;
static int ref_index = -1;

static mobid_err rv_err(CK_RV rv)
{
    switch (rv) {
    case CKR_OK: return MOBID_OK;
    case CKR_HOST_MEMORY: case CKR_DEVICE_MEMORY: return MOBID_ERR_NOMEM;
    case CKR_PIN_INCORRECT: case CKR_PIN_INVALID: case CKR_PIN_LEN_RANGE:
    case CKR_PIN_LOCKED: case CKR_PIN_EXPIRED: return MOBID_ERR_PIN_WRONG;
    case CKR_TOKEN_NOT_PRESENT: case CKR_SLOT_ID_INVALID: return MOBID_ERR_NOT_FOUND;
    case CKR_MECHANISM_INVALID: case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_DOMAIN_PARAMS_INVALID: case CKR_CURVE_NOT_SUPPORTED: return MOBID_ERR_UNSUPPORTED;
    default: return MOBID_ERR_CRYPTO;
    }
}

/* ---- module and token registry ---- */

static bool module_shared(const p11_token *t)
{
    for (const p11_token *o = tokens; o; o = o->next)
        if (o != t && o->f == t->f)
            return true;
    return false;
}

/* Drop one reference (reg_lock held); the last closes the session and the module. */
static void token_release_locked(p11_token *t)
{
    if (!t || --t->refs > 0)
        return;
    for (p11_token **pp = &tokens; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    if (t->f && t->session != CK_INVALID_HANDLE)
        t->f->C_CloseSession(t->session);
    if (t->f && t->initialized && !module_shared(t))
        t->f->C_Finalize(NULL);
    else if (t->initialized) /* another token still uses the module: hand the duty on */
        for (p11_token *o = tokens; o; o = o->next)
            if (o->f == t->f)
                o->initialized = true;
    if (t->dl)
        dlclose(t->dl);
    pthread_mutex_destroy(&t->lock);
    free(t->module);
    free(t->label);
    free(t);
}

static void token_release(p11_token *t)
{
    pthread_mutex_lock(&reg_lock);
    token_release_locked(t);
    pthread_mutex_unlock(&reg_lock);
}

static mobid_err module_load(p11_token *t)
{
    t->dl = dlopen(t->module, RTLD_NOW | RTLD_LOCAL);
    if (!t->dl)
        return MOBID_ERR_IO;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(t->dl, "C_GetFunctionList");
    if (!get || get(&t->f) != CKR_OK || !t->f)
        return MOBID_ERR_UNSUPPORTED;
    for (const p11_token *o = tokens; o; o = o->next)
        if (o->f == t->f)
            return MOBID_OK; /* already initialised for another token */
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    CK_RV rv = t->f->C_Initialize(&args);
    t->initialized = rv == CKR_OK;
    return rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? MOBID_OK : rv_err(rv);
}

/* The slot whose token has this label (PKCS#11 pads labels with spaces to 32). */
static mobid_err find_slot(p11_token *t, CK_SLOT_ID *slot)
{
    CK_SLOT_ID ids[P11_MAX_SLOTS];
    CK_ULONG n = P11_MAX_SLOTS;
    CK_RV rv = t->f->C_GetSlotList(CK_TRUE, ids, &n);
    if (rv != CKR_OK)
        return rv_err(rv);
    size_t want = strlen(t->label);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        if (t->f->C_GetTokenInfo(ids[i], &info) != CKR_OK)
            continue;
        size_t len = sizeof info.label;
        while (len > 0 && info.label[len - 1] == ' ')
            len--;
        if (len == want && !memcmp(info.label, t->label, len)) {
            *slot = ids[i];
            return MOBID_OK;
        }
    }
    return MOBID_ERR_NOT_FOUND;
}

static mobid_err token_open_new(p11_token *t, const char *pin)
{
    CK_SLOT_ID slot;
    mobid_err err = module_load(t);
    if (err == MOBID_OK)
        err = find_slot(t, &slot);
    if (err == MOBID_OK)
        err = rv_err(t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                                         NULL, &t->session));
    if (err != MOBID_OK)
        return err;
    CK_RV rv = t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
    return rv == CKR_USER_ALREADY_LOGGED_IN ? MOBID_OK : rv_err(rv);
}

/* A logged-in session on (module, label), shared with earlier callers. */
static mobid_err token_open(const char *module, const char *label, const char *pin,
                            p11_token **out)
{
    mobid_err err = MOBID_OK;
    p11_token *t = NULL;
    pthread_mutex_lock(&reg_lock);
    for (t = tokens; t; t = t->next)
        if (!strcmp(t->module, module) && !strcmp(t->label, label))
            break;
    uint8_t ph[MOBID_HASH_MAX];
    if ((err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(pin), ph)) != MOBID_OK)
        goto done;
    if (t) {
        err = mobid_ct_eq(mobid_view_make(ph, 32), mobid_view_make(t->pin_hash, 32))
                  ? MOBID_OK : MOBID_ERR_PIN_WRONG;
        t->refs += err == MOBID_OK;
        t = err == MOBID_OK ? t : NULL;
        goto done;
    }
    if (!(t = calloc(1, sizeof *t)) || !(t->module = strdup(module)) ||
        !(t->label = strdup(label))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    t->session = CK_INVALID_HANDLE;
    t->refs = 1;
    memcpy(t->pin_hash, ph, sizeof t->pin_hash);
    pthread_mutex_init(&t->lock, NULL);
    err = token_open_new(t, pin);
    t->next = tokens; /* listed even on failure, so release finds and unlinks it */
    tokens = t;
    if (err != MOBID_OK) {
        token_release_locked(t);
        t = NULL;
    }
done:
    if (err == MOBID_ERR_NOMEM && t) {
        free(t->module);
        free(t);
        t = NULL;
    }
    pthread_mutex_unlock(&reg_lock);
    *out = t;
    return err;
}

/* ---- signing through the token ---- */

static mobid_err token_sign(const p11_ref *r, const uint8_t *dg, size_t dlen, uint8_t *sig,
                            CK_ULONG *len)
{
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    pthread_mutex_lock(&r->token->lock);
    CK_RV rv = r->token->f->C_SignInit(r->token->session, &mech, r->obj);
    if (rv == CKR_OK)
        rv = r->token->f->C_Sign(r->token->session, (CK_BYTE *)dg, dlen, sig, len);
    pthread_mutex_unlock(&r->token->lock);
    return rv_err(rv);
}

/* EC_KEY_METHOD sign_sig: CKM_ECDSA answers r||s, each half the length. */
static ECDSA_SIG *p11_sign_sig(const unsigned char *dg, int dlen, const BIGNUM *kinv,
                               const BIGNUM *rp, EC_KEY *ec)
{
    (void)kinv, (void)rp;
    const p11_ref *r = EC_KEY_get_ex_data(ec, ref_index);
    uint8_t raw[2 * 66];
    CK_ULONG len = sizeof raw;
    if (!r || dlen < 0 || token_sign(r, dg, (size_t)dlen, raw, &len) != MOBID_OK || len % 2)
        return NULL;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(raw, (int)(len / 2), NULL);
    BIGNUM *bs = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
    if (!s || !br || !bs || !ECDSA_SIG_set0(s, br, bs)) {
        BN_free(br);
        BN_free(bs);
        ECDSA_SIG_free(s);
        return NULL;
    }
    return s;
}

/* EC_KEY_METHOD sign: the DER form, for X509_sign and other EVP callers. */
static int p11_sign(int type, const unsigned char *dg, int dlen, unsigned char *sig,
                    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *rp, EC_KEY *ec)
{
    (void)type;
    ECDSA_SIG *s = p11_sign_sig(dg, dlen, kinv, rp, ec);
    int n = s ? i2d_ECDSA_SIG(s, &sig) : -1;
    ECDSA_SIG_free(s);
    *siglen = n > 0 ? (unsigned)n : 0;
    return n > 0;
}

static void ref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                     void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    p11_ref *r = ptr;
    if (!r)
        return;
    token_release(r->token);
    free(r);
}

static void method_init(void)
{
    ref_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, ref_free);
    method = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    if (method)
        EC_KEY_METHOD_set_sign(method, p11_sign, NULL, p11_sign_sig);
}

bool mobid_key_in_token(const mobid_key *k)
{
    return k && k->ec && method && EC_KEY_get_method(k->ec) == method;
}

/* ---- finding and generating keys ---- */

static mobid_err get_attr(const p11_token *t, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
                          uint8_t *buf, size_t *len)
{
    CK_ATTRIBUTE a = { type, buf, *len };
    pthread_mutex_lock((pthread_mutex_t *)&t->lock);
    CK_RV rv = t->f->C_GetAttributeValue(t->session, obj, &a, 1);
    pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
    *len = a.ulValueLen;
    return rv_err(rv);
}

/* The one object of class cls with this label and/or id; NOT_FOUND or, for more
 * than one match, INVALID_ARG (an ambiguous URI must not pick a key by chance). */
static mobid_err find_object(p11_token *t, CK_OBJECT_CLASS cls, mobid_view label,
                             mobid_view id, CK_OBJECT_HANDLE *obj)
{
    CK_ATTRIBUTE tmpl[3] = { { CKA_CLASS, &cls, sizeof cls } };
    CK_ULONG n = 1, found = 0;
    CK_OBJECT_HANDLE objs[2];
    if (label.len)
        tmpl[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label.ptr, label.len };
    if (id.len)
        tmpl[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id.ptr, id.len };
    pthread_mutex_lock(&t->lock);
    CK_RV rv = t->f->C_FindObjectsInit(t->session, tmpl, n);
    if (rv == CKR_OK) {
        rv = t->f->C_FindObjects(t->session, objs, 2, &found);
        t->f->C_FindObjectsFinal(t->session);
    }
    pthread_mutex_unlock(&t->lock);
    if (rv != CKR_OK)
        return rv_err(rv);
    *obj = objs[0];
    return found == 1 ? MOBID_OK : found ? MOBID_ERR_INVALID_ARG : MOBID_ERR_NOT_FOUND;
}

/* CKA_EC_POINT is a DER OCTET STRING around 04||x||y (some modules give it bare). */
static mobid_err point_of(const uint8_t *p, size_t len, mobid_view *pt)
{
    static const size_t sizes[] = { 65, 97, 133 };
    for (size_t i = 0; i < 3; i++)
        if (len == sizes[i] && p[0] == 0x04) {
            *pt = mobid_view_make(p, len);
            return MOBID_OK;
        }
    if (len < 3 || p[0] != 0x04)
        return MOBID_ERR_KEY_INVALID;
    size_t hdr = p[1] < 0x80 ? 2 : p[1] == 0x81 ? 3 : 0;
    size_t body = p[1] < 0x80 ? p[1] : p[1] == 0x81 ? p[2] : 0;
    if (!hdr || hdr + body != len)
        return MOBID_ERR_KEY_INVALID;
    *pt = mobid_view_make(p + hdr, body);
    return MOBID_OK;
}

static mobid_curve curve_of_point(mobid_view pt)
{
    return pt.len == 65 ? MOBID_CURVE_P256 : pt.len == 97 ? MOBID_CURVE_P384
         : pt.len == 133 ? MOBID_CURVE_P521 : MOBID_CURVE_NONE;
}

/* An EC_KEY with the public point and the token method; takes over ref. */
static mobid_err wrap_token_key(p11_ref *ref, mobid_view pt, mobid_key **out)
{
    mobid_curve c = curve_of_point(pt);
    const EC_GROUP *g = mobid_crypto_group(c);
    EC_KEY *ec = g ? EC_KEY_new() : NULL;
    EC_POINT *p = g ? EC_POINT_new(g) : NULL;
    mobid_err err = g ? MOBID_ERR_NOMEM : MOBID_ERR_UNSUPPORTED;
    if (!ec || !p || !method || !EC_KEY_set_method(ec, method) || !EC_KEY_set_group(ec, g) ||
        !EC_KEY_set_ex_data(ec, ref_index, ref)) {
        token_release(ref->token);
        free(ref);
        goto done;
    }
    /* from here the EC_KEY owns ref (ref_free runs with EC_KEY_free) */
    err = MOBID_ERR_KEY_INVALID;
    if (EC_POINT_oct2point(g, p, pt.ptr, pt.len, mobid_crypto_bn_ctx()) != 1 ||
        !EC_KEY_set_public_key(ec, p))
        goto done;
    err = mobid_crypto_key_wrap(c, ec, NULL, true, out);
    ec = NULL; /* consumed, even on failure */
done:
    ERR_clear_error();
    EC_POINT_free(p);
    EC_KEY_free(ec);
    return err;
}

/* The private key (label and/or id) and its public point from the matching public
 * key object. Takes over the caller's token reference. */
static mobid_err load_key(p11_token *t, mobid_view label, mobid_view id, mobid_key **out)
{
    CK_OBJECT_HANDLE priv = 0, pub = 0;
    uint8_t raw[P11_MAX_ATTR];
    size_t len = sizeof raw;
    mobid_view pt = { 0 };
    p11_ref *ref = NULL;
    mobid_err err = find_object(t, CKO_PRIVATE_KEY, label, id, &priv);
    if (err == MOBID_OK)
        err = find_object(t, CKO_PUBLIC_KEY, label, id, &pub);
    if (err == MOBID_OK)
        err = get_attr(t, pub, CKA_EC_POINT, raw, &len);
    if (err == MOBID_OK)
        err = point_of(raw, len, &pt);
    if (err == MOBID_OK && !(ref = calloc(1, sizeof *ref)))
        err = MOBID_ERR_NOMEM;
    if (err != MOBID_OK) {
        token_release(t);
        return err;
    }
    ref->token = t;
    ref->obj = priv;
    return wrap_token_key(ref, pt, out);
}

static mobid_view ec_params(mobid_curve c)
{
    static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
    static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
    static const uint8_t p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
    return c == MOBID_CURVE_P256 ? mobid_view_make(p256, sizeof p256)
         : c == MOBID_CURVE_P384 ? mobid_view_make(p384, sizeof p384)
         : c == MOBID_CURVE_P521 ? mobid_view_make(p521, sizeof p521) : mobid_view_make(NULL, 0);
}

static mobid_err generate_pair(p11_token *t, mobid_curve c, mobid_view label)
{
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    mobid_view params = ec_params(c);
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub[] = { { CKA_TOKEN, &yes, sizeof yes }, { CKA_VERIFY, &yes, sizeof yes },
                           { CKA_EC_PARAMS, (void *)params.ptr, params.len },
                           { CKA_LABEL, (void *)label.ptr, label.len },
                           { CKA_ID, (void *)label.ptr, label.len } };
    CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &yes, sizeof yes }, { CKA_PRIVATE, &yes, sizeof yes },
                            { CKA_SENSITIVE, &yes, sizeof yes },
                            { CKA_EXTRACTABLE, &no, sizeof no }, { CKA_SIGN, &yes, sizeof yes },
                            { CKA_LABEL, (void *)label.ptr, label.len },
                            { CKA_ID, (void *)label.ptr, label.len } };
    CK_OBJECT_HANDLE hpub, hpriv;
    if (!params.len)
        return MOBID_ERR_UNSUPPORTED;
    pthread_mutex_lock(&t->lock);
    CK_RV rv = t->f->C_GenerateKeyPair(t->session, &mech, pub, sizeof pub / sizeof *pub, priv,
                                       sizeof priv / sizeof *priv, &hpub, &hpriv);
    pthread_mutex_unlock(&t->lock);
    return rv_err(rv);
}

mobid_err mobid_pkcs11_generate(const char *module, const char *token, const char *pin,
                                const char *object, mobid_curve c, mobid_key **out)
{
    if (!module || !token || !pin || !object || !object[0] || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    pthread_once(&method_once, method_init);
    p11_token *t = NULL;
    CK_OBJECT_HANDLE obj;
    mobid_view label = mobid_view_str(object);
    mobid_err err = token_open(module, token, pin, &t);
    if (err != MOBID_OK)
        return err;
    /* never replace a key: an existing label is refused */
    err = find_object(t, CKO_PRIVATE_KEY, label, mobid_view_make(NULL, 0), &obj);
    err = err == MOBID_ERR_NOT_FOUND ? generate_pair(t, c, label)
        : err == MOBID_OK ? MOBID_ERR_IO : err;
    if (err != MOBID_OK) {
        token_release(t);
        return err;
    }
    return load_key(t, label, mobid_view_make(NULL, 0), out);
}

/* type= in a URI names the object class; only a private key can sign. */
static mobid_err check_type(const char *uri)
{
    char *type = NULL;
    mobid_err err = mobid_pkcs11_uri_attr(uri, "type", &type);
    if (err == MOBID_OK && strcmp(type, "private"))
        err = MOBID_ERR_KEY_INVALID;
    free(type);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_OK : err;
}

mobid_err mobid_key_from_pkcs11(const char *uri, const char *module, const char *pin,
                                mobid_key **out)
{
    char *mod = NULL, *token = NULL, *object = NULL, *id = NULL, *pv = NULL;
    p11_token *t = NULL;
    if (!uri || !pin || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    pthread_once(&method_once, method_init);
    /* a PIN written into a URI ends up in configuration files and logs */
    mobid_err err = mobid_pkcs11_uri_attr(uri, "pin-value", &pv);
    err = err == MOBID_OK ? MOBID_ERR_INVALID_ARG : err == MOBID_ERR_NOT_FOUND ? MOBID_OK : err;
    if (err == MOBID_OK)
        err = check_type(uri);
    if (err == MOBID_OK && (err = mobid_pkcs11_uri_attr(uri, "module-path", &mod)) ==
                               MOBID_ERR_NOT_FOUND)
        err = module && module[0] && (mod = strdup(module)) ? MOBID_OK : MOBID_ERR_INVALID_ARG;
    if (err == MOBID_OK)
        err = mobid_pkcs11_uri_attr(uri, "token", &token);
    if (err == MOBID_OK && (err = mobid_pkcs11_uri_attr(uri, "object", &object)) ==
                               MOBID_ERR_NOT_FOUND)
        err = MOBID_OK;
    if (err == MOBID_OK && (err = mobid_pkcs11_uri_attr(uri, "id", &id)) == MOBID_ERR_NOT_FOUND)
        err = object ? MOBID_OK : MOBID_ERR_INVALID_ARG; /* some key must be named */
    if (err == MOBID_OK)
        err = token_open(mod, token, pin, &t);
    if (err == MOBID_OK)
        err = load_key(t, object ? mobid_view_str(object) : mobid_view_make(NULL, 0),
                       id ? mobid_view_str(id) : mobid_view_make(NULL, 0), out);
    free(mod);
    free(token);
    free(object);
    free(id);
    free(pv);
    return err;
}
