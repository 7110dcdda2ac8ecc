// Peer side of the mdoc interop test (tests/interop/mdoc.sh): @auth0/mdl,
// @animo-id/mdoc and @owf/mdoc issue, present and verify ISO 18013-5 DeviceResponses.
//
//   node peer.js issue-present LIB DIR OUT   LIB issues an mDL with DIR/ds.{key,pem} to the
//                                            holder key DIR/device.key and presents
//                                            family_name, birth_date and issue_date over
//                                            the SessionTranscript in DIR/t.cbor
//   node peer.js verify LIB DIR RESPONSE     LIB verifies RESPONSE with DIR/iaca.pem as
//                                            anchor; prints {"valid":..,"claims":{..}}
// LIB is "auth0", "animo" or "owf". Certificates and keys are PEM files made by the script.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const NS = 'org.iso.18013.5.1';
const DOCTYPE = 'org.iso.18013.5.1.mDL';

const readPem = (dir, name) => fs.readFileSync(path.join(dir, name), 'utf8');
const privJwk = (pem) => crypto.createPrivateKey(pem).export({ format: 'jwk' });
const pubJwk = (pem) => crypto.createPublicKey(pem).export({ format: 'jwk' });
const pemToDer = (pem) =>
  Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

// SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript) from the array mobid wrote.
function transcriptBytes(dir) {
  const st = fs.readFileSync(path.join(dir, 't.cbor'));
  const n = st.length;
  const head = n < 24 ? [0x40 | n] : n < 256 ? [0x58, n] : [0x59, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([0xd8, 0x18, ...head]), st]);
}

const claims = {
  family_name: 'Doe',
  given_name: 'Jane',
  birth_date: '2000-06-15',
  issue_date: '2025-01-01',
  expiry_date: '2030-01-01',
  issuing_country: 'KR',
  document_number: 'P1234567',
};

const presentationDefinition = {
  id: 'mobid-interop',
  input_descriptors: [
    {
      id: DOCTYPE,
      format: { mso_mdoc: { alg: ['ES256'] } },
      constraints: {
        limit_disclosure: 'required',
        fields: ['family_name', 'birth_date', 'issue_date'].map((e) => ({
          path: [`$['${NS}']['${e}']`],
          intent_to_retain: false,
        })),
      },
    },
  ],
};

// ---------------------------------------------------------------- @animo-id/mdoc context
function es(alg) {
  return { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' }[alg];
}

const animoContext = {
  crypto: {
    random: (n) => new Uint8Array(crypto.randomBytes(n)),
    digest: ({ digestAlgorithm, bytes }) =>
      new Uint8Array(crypto.createHash(digestAlgorithm.replace('-', '').toLowerCase()).update(bytes).digest()),
    calculateEphemeralMacKeyJwk: () => {
      throw new Error('deviceMac is not used in this test');
    },
  },
  cose: {
    sign1: {
      sign: ({ sign1, jwk }) => {
        const { data, alg } = sign1.getRawSigningData();
        const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
        return new Uint8Array(crypto.sign(es(alg), data, { key, dsaEncoding: 'ieee-p1363' }));
      },
      verify: ({ sign1, jwk, options }) => {
        const { data, alg, signature } = sign1.getRawVerificationData(options);
        const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
        return crypto.verify(es(alg), data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      },
    },
    mac0: {
      sign: () => {
        throw new Error('deviceMac is not used in this test');
      },
      verify: () => false,
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) => {
      const issuer = new crypto.X509Certificate(Buffer.from(certificate)).issuer;
      return issuer
        .split('\n')
        .filter((l) => l.startsWith(field + '='))
        .map((l) => l.slice(field.length + 1));
    },
    getPublicKey: ({ certificate }) =>
      new crypto.X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'jwk' }),
    validateCertificateChain: ({ trustedCertificates, x5chain }) => {
      const chain = x5chain.map((c) => new crypto.X509Certificate(Buffer.from(c)));
      const anchors = trustedCertificates.map((c) => new crypto.X509Certificate(Buffer.from(c)));
      const now = new Date();
      for (const c of chain)
        if (new Date(c.validFrom) > now || new Date(c.validTo) < now)
          throw new Error('certificate outside its validity');
      for (let i = 0; i + 1 < chain.length; i++)
        if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey))
          throw new Error('broken chain');
      const top = chain[chain.length - 1];
      if (!anchors.some((a) => a.raw.equals(top.raw) || (top.checkIssued(a) && top.verify(a.publicKey))))
        throw new Error('no trust anchor');
    },
    getCertificateData: ({ certificate }) => {
      const c = new crypto.X509Certificate(Buffer.from(certificate));
      return {
        issuerName: c.issuer,
        subjectName: c.subject,
        serialNumber: c.serialNumber,
        thumbprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
        notBefore: new Date(c.validFrom),
        notAfter: new Date(c.validTo),
        pem: c.toString(),
      };
    },
  },
};

// ---------------------------------------------------------------- @owf/mdoc context
// @owf/mdoc is ESM only: loaded with import() from this CommonJS file. Its callbacks
// get COSE keys (CoseKey) and raw to-be-signed bytes; node:crypto does the rest.
let owf;
const loadOwf = async () => (owf = owf || (await import('@owf/mdoc')));
const hashOfCurve = (crv) => ({ 'P-256': 'sha256', 'P-384': 'sha384', 'P-521': 'sha512' })[crv];
const publicOnly = ({ kty, crv, x, y }) => ({ kty, crv, x, y });

const owfContext = {
  crypto: {
    random: (n) => new Uint8Array(crypto.randomBytes(n)),
    digest: ({ digestAlgorithm, bytes }) =>
      new Uint8Array(crypto.createHash(digestAlgorithm.replace('-', '').toLowerCase()).update(bytes).digest()),
    calculateEphemeralMacKey: () => {
      throw new Error('deviceMac is not used in this test');
    },
  },
  cose: {
    sign1: {
      sign: ({ toBeSigned, key }) => {
        const jwk = key.jwk;
        const k = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
        return new Uint8Array(crypto.sign(hashOfCurve(jwk.crv), toBeSigned, { key: k, dsaEncoding: 'ieee-p1363' }));
      },
      verify: ({ key, sign1 }) => {
        const jwk = publicOnly(key.jwk);
        const k = crypto.createPublicKey({ key: jwk, format: 'jwk' });
        return crypto.verify(hashOfCurve(jwk.crv), sign1.toBeSigned, { key: k, dsaEncoding: 'ieee-p1363' },
          sign1.signature);
      },
    },
    mac0: {
      sign: () => {
        throw new Error('deviceMac is not used in this test');
      },
      verify: () => false,
    },
  },
  x509: {
    getIssuerNameField: animoContext.x509.getIssuerNameField,
    getPublicKey: ({ certificate }) =>
      owf.CoseKey.fromJwk(animoContext.x509.getPublicKey({ certificate })),
    verifyCertificateChain: ({ trustedCertificates, x5chain }) =>
      animoContext.x509.validateCertificateChain({ trustedCertificates, x5chain }),
    getCertificateData: animoContext.x509.getCertificateData,
  },
};

// ---------------------------------------------------------------- issue and present
async function issuePresentAuth0(dir) {
  const { Document, DeviceResponse, MDoc } = require('@auth0/mdl');
  const doc = await new Document(DOCTYPE)
    .addIssuerNameSpace(NS, claims)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({ signed: new Date() })
    .addDeviceKeyInfo({ deviceKey: pubJwk(readPem(dir, 'device.key')) })
    .sign({
      issuerPrivateKey: privJwk(readPem(dir, 'ds.key')),
      issuerCertificate: readPem(dir, 'ds.pem'),
      alg: 'ES256',
    });
  const mdoc = new MDoc([doc]).encode();
  const resp = await DeviceResponse.from(mdoc)
    .usingPresentationDefinition(presentationDefinition)
    .usingSessionTranscriptBytes(transcriptBytes(dir))
    .authenticateWithSignature(privJwk(readPem(dir, 'device.key')), 'ES256')
    .sign();
  return resp.encode();
}

async function issuePresentAnimo(dir) {
  const { Document, DeviceResponse, MDoc } = require('@animo-id/mdoc');
  const now = new Date();
  const doc = await new Document(DOCTYPE, animoContext)
    .addIssuerNameSpace(NS, claims)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo({ signed: now, validFrom: now, validUntil: new Date(now.getTime() + 86400e3) })
    .addDeviceKeyInfo({ deviceKey: pubJwk(readPem(dir, 'device.key')) })
    .sign(
      {
        issuerPrivateKey: privJwk(readPem(dir, 'ds.key')),
        issuerCertificate: new Uint8Array(pemToDer(readPem(dir, 'ds.pem'))),
        alg: 'ES256',
      },
      animoContext,
    );
  const mdoc = new MDoc([doc]).encode();
  const resp = await DeviceResponse.from(mdoc)
    .usingPresentationDefinition(presentationDefinition)
    .usingSessionTranscriptBytes(new Uint8Array(transcriptBytes(dir)))
    .authenticateWithSignature(privJwk(readPem(dir, 'device.key')), 'ES256')
    .sign(animoContext);
  return resp.encode();
}

async function issuePresentOwf(dir) {
  const { Issuer, Holder, CoseKey, DeviceKey, DeviceRequest, DocRequest, ItemsRequest, DateOnly,
    SessionTranscript, SignatureAlgorithm } = await loadOwf();
  const now = new Date();
  // Full-dates as ISO 18013-5 wants them: tag 1004.
  const dated = { ...claims };
  for (const k of ['birth_date', 'issue_date', 'expiry_date']) dated[k] = new DateOnly(claims[k]);
  const issuerSigned = await new Issuer(DOCTYPE, owfContext).addIssuerNamespace(NS, dated).sign({
    signingKey: CoseKey.fromJwk(privJwk(readPem(dir, 'ds.key'))),
    algorithm: SignatureAlgorithm.ES256,
    digestAlgorithm: 'SHA-256',
    validityInfo: { signed: now, validFrom: now, validUntil: new Date(now.getTime() + 86400e3) },
    deviceKeyInfo: { deviceKey: DeviceKey.fromJwk(pubJwk(readPem(dir, 'device.key'))) },
    certificates: [new Uint8Array(pemToDer(readPem(dir, 'ds.pem')))],
  });
  const wanted = Object.fromEntries(['family_name', 'birth_date', 'issue_date'].map((e) => [e, false]));
  const deviceRequest = DeviceRequest.create({
    docRequests: [DocRequest.create({ itemsRequest: ItemsRequest.create({ docType: DOCTYPE, namespaces: { [NS]: wanted } }) })],
  });
  const resp = await Holder.createDeviceResponseForDeviceRequest(
    {
      deviceRequest,
      sessionTranscript: SessionTranscript.decode(new Uint8Array(fs.readFileSync(path.join(dir, 't.cbor')))),
      issuerSigned: [issuerSigned],
      // The key names its algorithm: @owf/mdoc takes the device signature's alg from it.
      signature: { signingKey: CoseKey.fromJwk({ ...privJwk(readPem(dir, 'device.key')), alg: 'ES256' }) },
    },
    owfContext,
  );
  return resp.encode();
}

// ---------------------------------------------------------------- verify
function plain(v) {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64url');
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && typeof v.toJSON === 'function') return v.toJSON();
  if (v && typeof v === 'object' && 'value' in v && Object.keys(v).length <= 2) return String(v.value);
  return v;
}

async function verifyAuth0(dir, resp) {
  const { Verifier } = require('@auth0/mdl');
  const mdoc = await new Verifier([readPem(dir, 'iaca.pem')]).verify(resp, {
    encodedSessionTranscript: transcriptBytes(dir),
  });
  return plain(mdoc.documents[0].getIssuerNameSpace(NS));
}

async function verifyAnimo(dir, resp) {
  const { Verifier } = require('@animo-id/mdoc');
  const mdoc = await new Verifier().verifyDeviceResponse(
    {
      encodedDeviceResponse: new Uint8Array(resp),
      encodedSessionTranscript: new Uint8Array(transcriptBytes(dir)),
      trustedCertificates: [new Uint8Array(pemToDer(readPem(dir, 'iaca.pem')))],
    },
    animoContext,
  );
  return plain(mdoc.documents[0].getIssuerNameSpace(NS));
}

async function verifyOwf(dir, resp) {
  const { Verifier, DeviceResponse, SessionTranscript } = await loadOwf();
  const response = DeviceResponse.decode(new Uint8Array(resp));
  await Verifier.verifyDeviceResponse(
    {
      deviceResponse: response,
      sessionTranscript: SessionTranscript.decode(new Uint8Array(fs.readFileSync(path.join(dir, 't.cbor')))),
      trustedCertificates: [new Uint8Array(pemToDer(readPem(dir, 'iaca.pem')))],
    },
    owfContext,
  );
  return plain(response.documents[0].issuerSigned.getPrettyClaims(NS));
}

async function main() {
  const [cmd, lib, dir, file] = process.argv.slice(2);
  const issuePresent = { auth0: issuePresentAuth0, animo: issuePresentAnimo, owf: issuePresentOwf }[lib];
  const verify = { auth0: verifyAuth0, animo: verifyAnimo, owf: verifyOwf }[lib];
  if (!issuePresent || !dir || !file) {
    console.error('usage: node peer.js issue-present|verify auth0|animo|owf DIR FILE');
    process.exit(2);
  }
  if (cmd === 'issue-present') {
    const bytes = await issuePresent(dir);
    fs.writeFileSync(file, Buffer.from(bytes));
    return;
  }
  if (cmd === 'verify') {
    const resp = fs.readFileSync(file);
    try {
      const c = await verify(dir, resp);
      console.log(JSON.stringify({ valid: true, claims: c }));
    } catch (e) {
      console.log(JSON.stringify({ valid: false, error: String((e && e.message) || e) }));
      process.exit(1);
    }
    return;
  }
  console.error('unknown command ' + cmd);
  process.exit(2);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
