// A peer OpenID4VP 1.0 wallet for mobid's verifier: Openid4vpClient from
// @openid4vc/openid4vp (0.4.6) parses the openid4vp:// link, fetches and verifies the
// signed request object (x509_hash client_id; the x5c chain checked here against the
// relying-party CA), answers its DCQL query with presentations it builds itself —
// SD-JWT VC with a KB-JWT (@sd-jwt/sd-jwt-vc), mdoc DeviceResponse over the
// OpenID4VPHandover (@owf/mdoc) — and sends them by direct_post or direct_post.jwt.
//   node wallet.mjs LINK DIR [tamper]   DIR holds the credentials `mobid issuer fetch`
//       wrote (<config>_0.cred and <config>_0.key.jwk for mdl_sdjwt and mdl_mdoc) and
//       rp-ca.pem; prints {"request": {...}, "status": HTTP status, "body": ...}.
// With "tamper", one byte of each presentation is changed before it is sent.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { Openid4vpClient } from "@openid4vc/openid4vp";
import { setGlobalConfig } from "@openid4vc/oauth2";
import * as owf from "@owf/mdoc";
import { callbacks, chainLeaf, mdocContext, oid4vpTranscript, tampered } from "./common.mjs";

const require = createRequire(import.meta.url);
const { SDJwtVcInstance } = require("@sd-jwt/sd-jwt-vc");
const { digest, generateSalt } = require("@sd-jwt/crypto-nodejs");

const [link, dir, tamper] = process.argv.slice(2);
setGlobalConfig({ allowInsecureUrls: true }); // loopback without TLS in the test
const cb = callbacks();
const client = new Openid4vpClient({ callbacks: cb });
const held = (cfg) => ({
  cred: fs.readFileSync(path.join(dir, `${cfg}_0.cred`), "utf8").trim(),
  jwk: JSON.parse(fs.readFileSync(path.join(dir, `${cfg}_0.key.jwk`), "utf8")),
});

async function presentSdJwt(cq, req) {
  const { cred, jwk } = held("mdl_sdjwt");
  const key = crypto.createPrivateKey({ key: jwk, format: "jwk" });
  const sdjwt = new SDJwtVcInstance({
    kbSigner: (data) => crypto.sign("sha256", Buffer.from(data), { key, dsaEncoding: "ieee-p1363" })
      .toString("base64url"),
    kbSignAlg: "ES256", hasher: digest, hashAlg: "sha-256", saltGenerator: generateSalt,
  });
  // The disclosure frame of the claim paths asked: {"a": true, "b": {"c": true}}.
  const frame = {};
  for (const c of cq.claims) {
    let f = frame;
    c.path.slice(0, -1).forEach((seg) => (f = f[seg] = f[seg] || {}));
    f[c.path[c.path.length - 1]] = true;
  }
  return sdjwt.present(cred, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: req.client_id, nonce: req.nonce } },
  });
}

async function presentMdoc(cq, req, encJwk) {
  const { cred, jwk } = held("mdl_mdoc");
  const namespaces = {};
  for (const { path: [ns, el] } of cq.claims) (namespaces[ns] = namespaces[ns] || {})[el] = false;
  const deviceRequest = owf.DeviceRequest.create({ docRequests: [owf.DocRequest.create({
    itemsRequest: owf.ItemsRequest.create({ docType: cq.meta.doctype_value, namespaces }) })] });
  const transcript = await oid4vpTranscript({ clientId: req.client_id, nonce: req.nonce, encJwk,
    responseUri: req.response_uri });
  const resp = await owf.Holder.createDeviceResponseForDeviceRequest({
    deviceRequest, sessionTranscript: transcript,
    issuerSigned: [owf.IssuerSigned.fromEncodedForOid4Vci(cred)],
    signature: { signingKey: owf.CoseKey.fromJwk({ ...jwk, alg: "ES256" }) },
  }, mdocContext);
  return resp.encodedForOid4Vp;
}

async function main() {
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: link });
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  const req = resolved.authorizationRequestPayload;
  if (resolved.client.prefix !== "x509_hash") throw new Error(`client_id prefix ${resolved.client.prefix}`);
  chainLeaf(resolved.jar.signer.x5c, path.join(dir, "rp-ca.pem"));
  const jwtMode = req.response_mode === "direct_post.jwt";
  const encJwk = jwtMode ? req.client_metadata.jwks.keys.find((k) => !k.use || k.use === "enc") : undefined;
  const vpToken = {};
  for (const cq of resolved.dcql.query.credentials) {
    const p = cq.format === "dc+sd-jwt" ? await presentSdJwt(cq, req) : await presentMdoc(cq, req, encJwk);
    vpToken[cq.id] = [tamper ? tampered(p) : p];
  }
  const response = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req,
    authorizationResponsePayload: { vp_token: vpToken },
    ...(jwtMode ? { jarm: { encryption: { jwk: encJwk }, serverMetadata: {
      authorization_signing_alg_values_supported: [], authorization_encryption_alg_values_supported: ["ECDH-ES"],
      authorization_encryption_enc_values_supported: ["A128GCM", "A256GCM"] } } } : {}),
  });
  const sent = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: req, authorizationResponsePayload: response.authorizationResponsePayload,
    jarm: response.jarm,
  });
  const body = await sent.response.text();
  console.log(JSON.stringify({
    request: { client_id: req.client_id, response_mode: req.response_mode, version: resolved.version,
      queries: resolved.dcql.query.credentials.map((c) => c.id) },
    status: sent.response.status, body,
  }));
}

main().catch((e) => {
  process.stderr.write(`wallet.mjs: ${e.stack || e}\n`);
  process.exit(1);
});
