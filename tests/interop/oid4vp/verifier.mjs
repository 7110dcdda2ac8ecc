// A peer OpenID4VP 1.0 verifier for mobid's wallet: Openid4vpVerifier from
// @openid4vc/openid4vp (0.4.6) behind node:http. It signs its request objects (JAR by
// request_uri, x509_hash client_id, the ministry's registration in verifier_info, a
// DCQL query), takes direct_post or direct_post.jwt answers, and checks the
// presentations with @sd-jwt/sd-jwt-vc or @owf/mdoc against the issuer's root.
//   node verifier.mjs PORT DIR    DIR holds rp.key, rp.pem (leaf first), rp.jwt (the
//                                 registration) and iaca.pem; writes DIR/ready
// HTTP: POST /sessions {"query": DCQL, "mode": "direct_post"|"direct_post.jwt",
//       "tamper": bool, "unregistered": bool (no verifier_info)} -> {"id", "link"}; GET /request/ID (the request object);
//       POST /response/ID (the wallet's answer); GET /result/ID -> {"status", ...}.
// With "tamper", one byte of the answer's presentation is changed on arrival, as a
// man in the middle would, before it is checked: the check must refuse it.
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Openid4vpVerifier } from "@openid4vc/openid4vp";
import { setGlobalConfig } from "@openid4vc/oauth2";
import { b64u, x5cOf, callbacks, verifySdJwt, verifyMdoc, oid4vpTranscript, tampered } from "./common.mjs";

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
setGlobalConfig({ allowInsecureUrls: true }); // loopback without TLS in the test
const ORIGIN = `http://127.0.0.1:${port}`;
const rpKey = crypto.createPrivateKey(fs.readFileSync(path.join(dir, "rp.key")));
const x5c = x5cOf(path.join(dir, "rp.pem"));
const registration = fs.readFileSync(path.join(dir, "rp.jwt"), "utf8").trim();
const anchors = path.join(dir, "iaca.pem");
const clientId = "x509_hash:" + b64u(crypto.createHash("sha256").update(Buffer.from(x5c[0], "base64")).digest());
const sessions = new Map();

async function createSession({ query, mode = "direct_post", tamper = false, unregistered = false }) {
  const id = b64u(crypto.randomBytes(12));
  const enc = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const encJwk = { ...enc.publicKey.export({ format: "jwk" }), use: "enc", alg: "ECDH-ES", kid: "enc-" + id };
  const cb = callbacks({ signKey: rpKey, encKey: enc.privateKey });
  const verifier = new Openid4vpVerifier({ callbacks: cb });
  const payload = {
    response_type: "vp_token",
    client_id: clientId,
    response_mode: mode,
    response_uri: `${ORIGIN}/response/${id}`,
    nonce: b64u(crypto.randomBytes(32)),
    state: b64u(crypto.randomBytes(16)),
    dcql_query: query,
    client_metadata: {
      vp_formats_supported: {
        "dc+sd-jwt": { "sd-jwt_alg_values": ["ES256"], "kb-jwt_alg_values": ["ES256"] },
        mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] },
      },
      ...(mode === "direct_post.jwt"
        ? { jwks: { keys: [encJwk] }, encrypted_response_enc_values_supported: ["A128GCM"] } : {}),
    },
    ...(unregistered ? {} : { verifier_info: [{ format: "jwt", data: registration }] }),
  };
  const req = await verifier.createOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: payload,
    jar: {
      requestUri: `${ORIGIN}/request/${id}`,
      jwtSigner: { method: "x5c", x5c, alg: "ES256" },
      additionalJwtPayload: { aud: "https://self-issued.me/v2" },
      expiresInSeconds: 300,
    },
  });
  sessions.set(id, { verifier, cb, payload: req.authorizationRequestPayload, jwt: req.jar.authorizationRequestJwt,
    encJwk: mode === "direct_post.jwt" ? encJwk : undefined, tamper, result: { status: "pending" } });
  return { id, link: req.authorizationRequest };
}

async function check(s, body) {
  const parsed = await s.verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: body, authorizationRequestPayload: s.payload, callbacks: s.cb,
  });
  if (parsed.type !== "dcql") throw new Error("not a DCQL answer");
  const out = {};
  for (const cq of s.payload.dcql_query.credentials) {
    const got = parsed.dcql.presentations[cq.id];
    if (!got) throw new Error(`no presentation for ${cq.id}`);
    let p = got[0];
    if (s.tamper) p = tampered(p);
    if (cq.format === "dc+sd-jwt") {
      const claims = await verifySdJwt(p, { nonce: s.payload.nonce, aud: clientId, anchorsPem: anchors });
      if (cq.meta?.vct_values && !cq.meta.vct_values.includes(claims.vct)) throw new Error(`vct ${claims.vct}`);
      out[cq.id] = claims;
    } else {
      const transcript = await oid4vpTranscript({ clientId, nonce: s.payload.nonce, encJwk: s.encJwk,
        responseUri: s.payload.response_uri });
      const m = await verifyMdoc(p, transcript, anchors);
      if (m.docType !== cq.meta?.doctype_value) throw new Error(`docType ${m.docType}`);
      out[cq.id] = m.claims;
    }
  }
  return { mode: parsed.jarm ? "direct_post.jwt" : "direct_post", claims: out };
}

const readBody = (req) => new Promise((ok) => {
  const parts = [];
  req.on("data", (c) => parts.push(c));
  req.on("end", () => ok(Buffer.concat(parts).toString("utf8")));
});
const send = (res, status, body, type = "application/json") => {
  res.writeHead(status, { "content-type": type });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
};

http.createServer(async (req, res) => {
  const [, what, id] = req.url.split("?")[0].split("/");
  const s = sessions.get(id);
  try {
    if (req.method === "POST" && what === "sessions") return send(res, 201, await createSession(JSON.parse(await readBody(req))));
    if (!s) return send(res, 404, { error: "not_found" });
    if (what === "request") return send(res, 200, s.jwt, "application/oauth-authz-req+jwt");
    if (what === "result") return send(res, 200, s.result);
    if (req.method === "POST" && what === "response") {
      const body = Object.fromEntries(new URLSearchParams(await readBody(req)));
      if (s.result.status !== "pending") return send(res, 400, { error: "invalid_request", error_description: "answered" });
      try {
        s.result = { status: "verified", ...(await check(s, body)) };
        return send(res, 200, {});
      } catch (e) {
        s.result = { status: "refused", error: String(e.message || e) };
        return send(res, 400, { error: "invalid_request", error_description: s.result.error });
      }
    }
    send(res, 404, { error: "not_found" });
  } catch (e) {
    process.stderr.write(`verifier.mjs: ${e.stack || e}\n`);
    send(res, 500, { error: "server_error", error_description: String(e.message || e) });
  }
}).listen(port, "127.0.0.1", () => fs.writeFileSync(path.join(dir, "ready"), ORIGIN));
