// A peer OpenID4VCI wallet for mobid's issuer: Openid4vciClient from @openid4vc
// (0.4.6) with @openid4vc/oauth2's DPoP and attestation-based client authentication.
//   node client.mjs OFFER_URI TX_CODE OUT [WALLET_PROVIDER_KEY]
// Without a wallet-provider key (PKCS#8 PEM) it takes the pre-authorized code grant;
// with one it attests a fresh instance key (createClientAttestationJwt) and takes the
// authorization-code flow: PAR with PKCE and DPoP, the citizen's step (the transaction
// code posted to the authorization endpoint, as the issuer's page would), then the
// token with the code verifier. Either way a nonce, one JWT proof per configuration
// and the credentials, written to OUT as JSON {flow, token_type, credentials: {id:
// [...]}}. Failures go to stderr with exit 1.
import crypto from "node:crypto";
import fs from "node:fs";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import {
  setGlobalConfig, clientAuthenticationAnonymous, clientAuthenticationClientAttestationJwt,
  createClientAttestationJwt,
} from "@openid4vc/oauth2";

const [offerUri, txCode, out, providerKeyFile] = process.argv.slice(2);
setGlobalConfig({ allowInsecureUrls: true }); // loopback without TLS in the test
const REDIRECT = "https://peer-wallet.example/cb";
const CLIENT_ID = "peer-wallet";
const b64u = (b) => Buffer.from(b).toString("base64url");

// Keys by their public JWK's x, so signJwt finds the private half of any signer.
const keys = new Map();
const newKey = () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  keys.set(jwk.x, privateKey);
  return jwk;
};
const signWith = (key, header, payload) => {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = crypto.sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64u(sig)}`;
};
const provider = providerKeyFile ? crypto.createPrivateKey(fs.readFileSync(providerKeyFile)) : null;
const base = {
  hash: (data, alg) => crypto.createHash(alg.replace("-", "")).update(data).digest(),
  generateRandom: (n) => crypto.randomBytes(n),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method === "custom") // the wallet provider's key
      return { jwt: signWith(provider, header, payload), signerJwk: undefined };
    const key = keys.get(signer.publicJwk.x);
    if (!key) throw new Error("no private key for this signer");
    return { jwt: signWith(key, header, payload), signerJwk: signer.publicJwk };
  },
};

async function attestation() {
  const instance = newKey();
  return createClientAttestationJwt({
    issuer: "urn:peer:wallet-provider", clientId: CLIENT_ID, confirmation: { jwk: instance },
    expiresAt: new Date(Date.now() + 600_000), callbacks: base,
    signer: { method: "custom", alg: "ES256" },
  });
}

async function main() {
  const attest = provider ? await attestation() : null;
  const client = new Openid4vciClient({
    callbacks: {
      ...base,
      clientAuthentication: attest
        ? clientAuthenticationClientAttestationJwt({ clientAttestationJwt: attest, callbacks: base })
        : clientAuthenticationAnonymous(),
    },
  });
  const offer = await client.resolveCredentialOffer(offerUri);
  const meta = await client.resolveIssuerMetadata(offer.credential_issuer);
  const dpopJwk = newKey();
  const dpop = { signer: { method: "jwk", alg: "ES256", publicJwk: dpopJwk } };
  let tok, flow;
  if (!attest) {
    flow = "pre-authorized_code";
    tok = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata: meta, txCode, dpop,
    });
  } else {
    flow = "authorization_code";
    const az = await client.createAuthorizationRequestUrlFromOffer({
      clientId: CLIENT_ID, credentialOffer: offer, issuerMetadata: meta, redirectUri: REDIRECT, dpop,
    });
    // The citizen's step at the issuer: the transaction code with the request_uri.
    const url = new URL(az.authorizationRequestUrl);
    const res = await fetch(`${url.origin}${url.pathname}`, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        request_uri: url.searchParams.get("request_uri"), client_id: CLIENT_ID, tx_code: txCode,
      }),
    });
    const loc = res.headers.get("location");
    if (res.status !== 303 || !loc) throw new Error(`authorize: ${res.status} ${await res.text()}`);
    const code = new URL(loc).searchParams.get("code");
    tok = await client.retrieveAuthorizationCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata: meta, authorizationCode: code,
      pkceCodeVerifier: az.pkce?.codeVerifier, redirectUri: REDIRECT, dpop: az.dpop ?? dpop,
    });
  }
  const accessToken = tok.accessTokenResponse.access_token;
  const credentials = {};
  for (const id of offer.credential_configuration_ids) {
    const { c_nonce } = await client.requestNonce({ issuerMetadata: meta });
    const holder = newKey();
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata: meta, credentialConfigurationId: id, nonce: c_nonce,
      signer: { method: "jwk", alg: "ES256", publicJwk: holder },
    });
    const r = await client.retrieveCredentials({
      issuerMetadata: meta, accessToken, credentialConfigurationId: id,
      proof: { proof_type: "jwt", jwt }, dpop: tok.dpop ?? dpop,
    });
    credentials[id] = (r.credentialResponse.credentials ?? []).map((c) => c.credential);
  }
  fs.writeFileSync(out, JSON.stringify({
    flow, token_type: tok.accessTokenResponse.token_type, credentials,
  }));
}

main().catch((e) => {
  console.error(e?.stack ?? e, e?.errorResponse ?? e?.response ?? "");
  process.exit(1);
});
