// What the peer verifier (verifier.mjs) and the peer wallet (wallet.mjs) share: the JOSE
// callbacks @openid4vc/openid4vp asks for (ES256 JWS, ECDH-ES JWE, hashes), the
// @owf/mdoc context, and checks of SD-JWT VC (@sd-jwt/sd-jwt-vc) and mdoc (@owf/mdoc)
// presentations, all on node:crypto. Certificates and keys are PEM files.
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import * as owf from "@owf/mdoc";

const require = createRequire(import.meta.url);
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { digest } = require("@sd-jwt/crypto-nodejs");

export const b64u = (b) => Buffer.from(b).toString("base64url");
export const unb64u = (s) => Buffer.from(s, "base64url");

/** The certificates of a PEM file as base64 DER (x5c order: as in the file). */
export function x5cOf(file) {
  return fs.readFileSync(file, "utf8").split("-----END CERTIFICATE-----")
    .filter((s) => s.includes("BEGIN")).map((s) => s.replace(/-----BEGIN CERTIFICATE-----|\s/g, ""));
}
const der = (b64) => new Uint8Array(Buffer.from(b64, "base64"));
const pubJwk = (k) => (k.type === "public" ? k : crypto.createPublicKey(k)).export({ format: "jwk" });
const hashOf = (crv) => ({ "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" })[crv] || "sha256";

function esSign(key, data) {
  const crv = key.asymmetricKeyDetails.namedCurve === "prime256v1" ? "P-256" : "P-384";
  return crypto.sign(hashOf(crv), Buffer.from(data), { key, dsaEncoding: "ieee-p1363" });
}
function esVerify(jwk, data, sig) {
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: "jwk" });
  return crypto.verify(hashOf(jwk.crv), Buffer.from(data), { key, dsaEncoding: "ieee-p1363" }, sig);
}

/** A compact JWS (ES256 by `key`) of header and payload. */
export function signJws(key, header, payload) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(esSign(key, input))}`;
}

/** The leaf of an x5c chain whose last certificate is issued by one of the anchors, or throws. */
export function chainLeaf(x5c, anchorsPem) {
  const chain = x5c.map((c) => new crypto.X509Certificate(Buffer.from(c, "base64")));
  const anchors = x5cOf(anchorsPem).map((c) => new crypto.X509Certificate(Buffer.from(c, "base64")));
  const now = new Date();
  for (const c of chain)
    if (new Date(c.validFrom) > now || new Date(c.validTo) < now) throw new Error("certificate outside its validity");
  for (let i = 0; i + 1 < chain.length; i++)
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) throw new Error("broken chain");
  const top = chain[chain.length - 1];
  if (!anchors.some((a) => a.raw.equals(top.raw) || (top.checkIssued(a) && top.verify(a.publicKey))))
    throw new Error("no trust anchor for the chain");
  return chain[0];
}

// ---------------------------------------------------------------- ECDH-ES JWE (RFC 7518 §4.6)
const encBits = { A128GCM: 128, A256GCM: 256 };
function concatKdf(z, enc, apu, apv) {
  const len = (b) => { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return Buffer.concat([l, b]); };
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(encBits[enc]);
  const round = crypto.createHash("sha256").update(Buffer.concat([Buffer.from([0, 0, 0, 1]), z,
    len(Buffer.from(enc)), len(apu), len(apv), bits])).digest();
  return round.subarray(0, encBits[enc] / 8);
}

/** Encrypt `plaintext` to the P-256 JWK `to` (alg ECDH-ES, enc A128GCM or A256GCM). */
export function jweEncrypt(to, plaintext, { enc = "A128GCM", kid, apu = "", apv = "" } = {}) {
  const eph = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const epk = pubJwk(eph.publicKey);
  const header = { alg: "ECDH-ES", enc, epk: { kty: "EC", crv: "P-256", x: epk.x, y: epk.y } };
  if (kid) header.kid = kid;
  if (apu) header.apu = apu;
  if (apv) header.apv = apv;
  const z = crypto.diffieHellman({ privateKey: eph.privateKey,
    publicKey: crypto.createPublicKey({ key: { kty: "EC", crv: to.crv, x: to.x, y: to.y }, format: "jwk" }) });
  const key = concatKdf(z, enc, unb64u(apu), unb64u(apv));
  const iv = crypto.randomBytes(12);
  const prot = b64u(JSON.stringify(header));
  const c = crypto.createCipheriv(`aes-${encBits[enc]}-gcm`, key, iv);
  c.setAAD(Buffer.from(prot));
  const ct = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
  return `${prot}..${b64u(iv)}.${b64u(ct)}.${b64u(c.getAuthTag())}`;
}

/** Decrypt a compact ECDH-ES JWE with the private key `key`; the plaintext, or throws. */
export function jweDecrypt(key, jwe) {
  const [prot, ek, iv, ct, tag] = jwe.split(".");
  const h = JSON.parse(unb64u(prot));
  if (h.alg !== "ECDH-ES" || !encBits[h.enc] || ek) throw new Error(`unsupported JWE ${h.alg}/${h.enc}`);
  const z = crypto.diffieHellman({ privateKey: key, publicKey: crypto.createPublicKey({ key: h.epk, format: "jwk" }) });
  const d = crypto.createDecipheriv(`aes-${encBits[h.enc]}-gcm`, concatKdf(z, h.enc, unb64u(h.apu || ""),
    unb64u(h.apv || "")), unb64u(iv));
  d.setAAD(Buffer.from(prot));
  d.setAuthTag(unb64u(tag));
  return Buffer.concat([d.update(unb64u(ct)), d.final()]).toString("utf8");
}

/** RFC 7638 thumbprint (raw SHA-256) of an EC public JWK. */
export const jwkThumbprint = (j) =>
  crypto.createHash("sha256").update(JSON.stringify({ crv: j.crv, kty: j.kty, x: j.x, y: j.y })).digest();

/**
 * The callbacks of @openid4vc: JWS by `signKey` (a KeyObject), verification by the key
 * the signer names (x5c leaf or jwk), JWE with `encKey` (a private KeyObject) to decrypt.
 */
export function callbacks({ signKey, encKey } = {}) {
  return {
    hash: (data, alg) => crypto.createHash(alg.replace("-", "").toLowerCase()).update(data).digest(),
    generateRandom: (n) => crypto.randomBytes(n),
    fetch: (...a) => fetch(...a),
    signJwt: async (signer, { header, payload }) => ({
      jwt: signJws(signKey, header, payload), signerJwk: pubJwk(signKey),
    }),
    verifyJwt: async (signer, { compact, header }) => {
      const jwk = signer.publicJwk || header.jwk || (signer.x5c &&
        new crypto.X509Certificate(Buffer.from(signer.x5c[0], "base64")).publicKey.export({ format: "jwk" }));
      const [h, p, s] = compact.split(".");
      return jwk && esVerify(jwk, `${h}.${p}`, unb64u(s)) ? { verified: true, signerJwk: jwk } : { verified: false };
    },
    encryptJwe: async (encryptor, data) => ({
      encryptionJwk: encryptor.publicJwk,
      jwe: jweEncrypt(encryptor.publicJwk, data, { ...encryptor, kid: encryptor.publicJwk.kid }),
    }),
    decryptJwe: async (jwe) => {
      try {
        return { decrypted: true, decryptionJwk: pubJwk(encKey), payload: jweDecrypt(encKey, jwe) };
      } catch {
        return { decrypted: false };
      }
    },
    getX509CertificateMetadata: (cert) => {
      const c = new crypto.X509Certificate(Buffer.from(cert, "base64"));
      const san = (c.subjectAltName || "").split(", ");
      const pick = (p) => san.filter((e) => e.startsWith(p)).map((e) => e.slice(p.length));
      return { sanDnsNames: pick("DNS:"), sanUriNames: pick("URI:") };
    },
  };
}

/**
 * A presentation with one byte changed, as a man in the middle would: the SD-JWT's
 * issuer signature, or a byte near the end of the DeviceResponse.
 */
export function tampered(p) {
  if (p.includes("~")) {
    const [jwt, ...rest] = p.split("~");
    const [h, pl, s] = jwt.split(".");
    const sig = unb64u(s);
    sig[10] ^= 1;
    return [`${h}.${pl}.${b64u(sig)}`, ...rest].join("~");
  }
  const bytes = unb64u(p);
  bytes[bytes.length - 20] ^= 1;
  return b64u(bytes);
}

// ---------------------------------------------------------------- @owf/mdoc context
export const mdocContext = {
  crypto: {
    random: (n) => new Uint8Array(crypto.randomBytes(n)),
    digest: ({ digestAlgorithm, bytes }) =>
      new Uint8Array(crypto.createHash(digestAlgorithm.replace("-", "").toLowerCase()).update(bytes).digest()),
    calculateEphemeralMacKey: () => {
      throw new Error("deviceMac is not used over OpenID4VP");
    },
  },
  cose: {
    sign1: {
      sign: ({ toBeSigned, key }) =>
        new Uint8Array(esSign(crypto.createPrivateKey({ key: key.jwk, format: "jwk" }), toBeSigned)),
      verify: ({ key, sign1 }) => esVerify(key.jwk, sign1.toBeSigned, sign1.signature),
    },
    mac0: {
      sign: () => {
        throw new Error("deviceMac is not used over OpenID4VP");
      },
      verify: () => false,
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) =>
      new crypto.X509Certificate(Buffer.from(certificate)).issuer.split("\n")
        .filter((l) => l.startsWith(field + "=")).map((l) => l.slice(field.length + 1)),
    getPublicKey: ({ certificate }) =>
      owf.CoseKey.fromJwk(new crypto.X509Certificate(Buffer.from(certificate)).publicKey.export({ format: "jwk" })),
    verifyCertificateChain: ({ trustedCertificates, x5chain }) => {
      const chain = x5chain.map((c) => new crypto.X509Certificate(Buffer.from(c)));
      const anchors = trustedCertificates.map((c) => new crypto.X509Certificate(Buffer.from(c)));
      for (let i = 0; i + 1 < chain.length; i++)
        if (!chain[i].verify(chain[i + 1].publicKey)) throw new Error("broken chain");
      const top = chain[chain.length - 1];
      if (!anchors.some((a) => a.raw.equals(top.raw) || (top.checkIssued(a) && top.verify(a.publicKey))))
        throw new Error("no trust anchor");
    },
    getCertificateData: ({ certificate }) => {
      const c = new crypto.X509Certificate(Buffer.from(certificate));
      return { issuerName: c.issuer, subjectName: c.subject, serialNumber: c.serialNumber,
        thumbprint: c.fingerprint256.replace(/:/g, "").toLowerCase(),
        notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), pem: c.toString() };
    },
  },
};

/** The OpenID4VP 1.0 SessionTranscript (OpenID4VPHandover, B.2.6.1). */
export const oid4vpTranscript = ({ clientId, nonce, encJwk, responseUri }) =>
  owf.SessionTranscript.forOid4Vp({ clientId, nonce, responseUri,
    jwkThumbprint: encJwk ? new Uint8Array(jwkThumbprint(encJwk)) : undefined }, mdocContext);

/** Plain JSON of mdoc element values; a full-date (tag 1004) becomes {"full-date": "YYYY-MM-DD"}. */
export function plain(v) {
  if (v instanceof owf.DateOnly) return { "full-date": v.toISOString() };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return b64u(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Verify an mdoc DeviceResponse (base64url) over `transcript`; its elements by namespace. */
export async function verifyMdoc(encoded, transcript, anchorsPem) {
  const resp = owf.DeviceResponse.fromEncodedForOid4Vp(encoded);
  await owf.Verifier.verifyDeviceResponse({
    deviceResponse: resp, sessionTranscript: transcript,
    trustedCertificates: x5cOf(anchorsPem).map(der),
  }, mdocContext);
  const doc = resp.documents[0];
  const out = {};
  for (const [ns, items] of doc.issuerSigned.issuerNamespaces.issuerNamespaces)
    out[ns] = Object.fromEntries(items.map((i) => [i.elementIdentifier, plain(i.elementValue)]));
  return { docType: doc.docType, claims: out };
}

/**
 * Verify an SD-JWT VC presentation: the issuer's signature by its x5c leaf chained to
 * the anchors, the disclosures, and a KB-JWT by the cnf key with this nonce and aud.
 */
export async function verifySdJwt(presentation, { nonce, aud, anchorsPem }) {
  const sdjwt = new SDJwtVcInstance({
    verifier: async (data, sig) => {
      const header = JSON.parse(unb64u(data.split(".")[0]));
      const leaf = chainLeaf(header.x5c || [], anchorsPem);
      return esVerify(leaf.publicKey.export({ format: "jwk" }), data, unb64u(sig));
    },
    kbVerifier: async (data, sig, payload) => !!payload?.cnf?.jwk && esVerify(payload.cnf.jwk, data, unb64u(sig)),
    hasher: digest,
    hashAlg: "sha-256",
  });
  const res = await sdjwt.verify(presentation, { keyBindingNonce: nonce });
  if (!res.kb) throw new Error("no key binding JWT");
  if (res.kb.payload.aud !== aud) throw new Error(`KB-JWT aud ${res.kb.payload.aud}, want ${aud}`);
  return res.payload;
}
