// A peer OpenID4VCI issuer for mobid's wallet: Openid4vciIssuer and
// Oauth2AuthorizationServer from @openid4vc (0.4.6) behind node:http, issuing an SD-JWT
// VC with @sd-jwt/sd-jwt-vc. Its credential issuer identifier has a path
// (<origin>/tenant), its authorization server is the origin with the token endpoint at
// /oauth/token, so a wallet must read the metadata and build the well-known URLs by
// inserting after the host (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1).
//   node issuer.mjs PORT DIR     DIR holds ds.key (PKCS#8 PEM) and ds.pem (DS then CA);
//                                writes DIR/offer.json {offer, tx_code} and DIR/ready
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Openid4vciIssuer } from "@openid4vc/openid4vci";
import { Oauth2AuthorizationServer, setGlobalConfig } from "@openid4vc/oauth2";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { digest, generateSalt } = require("@sd-jwt/crypto-nodejs");

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
// The test runs on loopback without TLS; the library refuses http URLs unless told.
setGlobalConfig({ allowInsecureUrls: true });
const ORIGIN = `http://127.0.0.1:${port}`;
const ISS = `${ORIGIN}/tenant`;
const dsKey = crypto.createPrivateKey(fs.readFileSync(path.join(dir, "ds.key")));
const dsJwk = crypto.createPublicKey(dsKey).export({ format: "jwk" });
const x5c = fs.readFileSync(path.join(dir, "ds.pem"), "utf8")
  .split("-----END CERTIFICATE-----").filter((s) => s.includes("BEGIN"))
  .map((s) => s.replace(/-----BEGIN CERTIFICATE-----|\s/g, ""));
const b64u = (b) => Buffer.from(b).toString("base64url");
const es256 = (data) => b64u(crypto.sign("sha256", Buffer.from(data), { key: dsKey, dsaEncoding: "ieee-p1363" }));

const callbacks = {
  hash: (data, alg) => crypto.createHash(alg.replace("-", "")).digest(data),
  generateRandom: (n) => crypto.randomBytes(n),
  signJwt: async (signer, { header, payload }) => {
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
    return { jwt: `${input}.${es256(input)}`, signerJwk: dsJwk };
  },
  verifyJwt: async (signer, { compact, header }) => {
    const jwk = signer.publicJwk || header.jwk;
    const [h, p, s] = compact.split(".");
    const ok = crypto.verify("sha256", Buffer.from(`${h}.${p}`),
      { key: crypto.createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" },
      Buffer.from(s, "base64url"));
    return ok ? { verified: true, signerJwk: jwk } : { verified: false };
  },
};
const issuer = new Openid4vciIssuer({ callbacks });
const as = new Oauth2AuthorizationServer({ callbacks });

const asMeta = as.createAuthorizationServerMetadata({
  issuer: ORIGIN,
  token_endpoint: `${ORIGIN}/oauth/token`,
  "pre-authorized_grant_anonymous_access_supported": true,
});
const issuerMeta = issuer.createCredentialIssuerMetadata({
  credential_issuer: ISS,
  credential_endpoint: `${ISS}/credential`,
  nonce_endpoint: `${ISS}/nonce`,
  authorization_servers: [ORIGIN],
  credential_configurations_supported: {
    peer_pid_sdjwt: {
      format: "dc+sd-jwt", vct: "urn:eudi:pid:1",
      cryptographic_binding_methods_supported: ["jwk"],
      credential_signing_alg_values_supported: ["ES256"],
      proof_types_supported: { jwt: { proof_signing_alg_values_supported: ["ES256"] } },
    },
  },
});
const metadata = {
  originalDraftVersion: "V1", credentialIssuer: issuerMeta, authorizationServers: [asMeta],
  knownCredentialConfigurations: issuer.getKnownCredentialConfigurationsSupported(issuerMeta),
};

const preAuthorizedCode = b64u(crypto.randomBytes(16));
const txCode = String(crypto.randomInt(100000, 999999));
const tokens = new Set(), nonces = new Set();
const sdjwt = new SDJwtVcInstance({
  signer: async (data) => es256(data), signAlg: "ES256", hasher: digest, hashAlg: "sha-256",
  saltGenerator: generateSalt,
});

function send(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}
const requestLike = (req) => ({ method: req.method, url: `${ORIGIN}${req.url}`, headers: new Headers(req.headers) });

async function token(req, body) {
  const form = Object.fromEntries(new URLSearchParams(body));
  const parsed = as.parseAccessTokenRequest({ request: requestLike(req), accessTokenRequest: form });
  await as.verifyPreAuthorizedCodeAccessTokenRequest({
    authorizationServerMetadata: asMeta, grant: parsed.grant, accessTokenRequest: parsed.accessTokenRequest,
    request: requestLike(req), expectedPreAuthorizedCode: preAuthorizedCode, expectedTxCode: txCode,
  });
  const resp = await as.createAccessTokenResponse({
    authorizationServer: ORIGIN, audience: ISS, subject: "peer-holder", expiresInSeconds: 300,
    signer: { method: "jwk", alg: "ES256", publicJwk: dsJwk },
  });
  tokens.add(resp.access_token);
  return resp;
}

async function credential(req, body) {
  const auth = (req.headers.authorization || "").replace(/^(Bearer|DPoP) /, "");
  if (!tokens.has(auth)) return [401, { error: "invalid_token" }];
  const parsed = issuer.parseCredentialRequest({ issuerMetadata: metadata, credentialRequest: JSON.parse(body) });
  const jwts = parsed.proofs?.jwt || [];
  if (!jwts.length) return [400, { error: "invalid_proof" }];
  const credentials = [];
  for (const jwt of jwts) {
    const nonce = JSON.parse(Buffer.from(jwt.split(".")[1], "base64url")).nonce;
    const proof = await issuer.verifyCredentialRequestJwtProof({
      issuerMetadata: metadata, jwt, expectedNonce: nonces.has(nonce) ? nonce : "-",
    });
    const now = Math.floor(Date.now() / 1000);
    credentials.push({ credential: await sdjwt.issue({
      iss: ISS, vct: "urn:eudi:pid:1", iat: now, exp: now + 86400,
      cnf: { jwk: proof.signer.publicJwk }, given_name: "Erika", family_name: "Mustermann",
      birthdate: "1984-01-26", nationalities: ["DE"], age_equal_or_over: { 18: true },
    }, { _sd: ["given_name", "family_name", "birthdate", "nationalities"],
         age_equal_or_over: { _sd: ["18"] } }, { header: { x5c, typ: "dc+sd-jwt" } }) });
  }
  return [200, issuer.createCredentialResponse({ credentialRequest: parsed, credentials })];
}

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", async () => {
    const url = req.url.split("?")[0];
    try {
      if (req.method === "GET" && url === "/.well-known/openid-credential-issuer/tenant") return send(res, 200, issuerMeta);
      if (req.method === "GET" && url === "/.well-known/oauth-authorization-server") return send(res, 200, asMeta);
      if (req.method === "POST" && url === "/oauth/token") return send(res, 200, await token(req, body));
      if (req.method === "POST" && url === "/tenant/nonce") {
        const n = b64u(crypto.randomBytes(16));
        nonces.add(n);
        return send(res, 200, issuer.createNonceResponse({ cNonce: n }));
      }
      if (req.method === "POST" && url === "/tenant/credential") {
        const [status, out] = await credential(req, body);
        return send(res, status, out);
      }
      send(res, 404, { error: "not_found" });
    } catch (e) {
      process.stderr.write(`peer issuer: ${req.method} ${url}: ${e.stack || e}\n`);
      send(res, 400, { error: "invalid_request", error_description: String(e.message || e) });
    }
  });
});
server.listen(port, "127.0.0.1", async () => {
  const { credentialOffer } = await issuer.createCredentialOffer({
    issuerMetadata: metadata, credentialConfigurationIds: ["peer_pid_sdjwt"],
    grants: { "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
      "pre-authorized_code": preAuthorizedCode, tx_code: { input_mode: "numeric", length: 6 } } },
  });
  fs.writeFileSync(path.join(dir, "offer.json"), JSON.stringify({ offer: credentialOffer, tx_code: txCode }));
  fs.writeFileSync(path.join(dir, "ready"), "");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
