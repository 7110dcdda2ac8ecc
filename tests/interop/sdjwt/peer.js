// sd-jwt-js (@sd-jwt/sd-jwt-vc 0.19.0) as the peer of mobid's SD-JWT VC interop test.
//   node peer.js keys DIR                         write issuer/holder JWKs (private and public)
//   node peer.js issue-present DIR NONCE AUD      issue with the JS library, present with KB
//   node peer.js verify DIR NONCE AUD FILE        verify a presentation with KB; print claims
'use strict';
const fs = require('fs');
const path = require('path');
const { SDJwtVcInstance } = require('@sd-jwt/sd-jwt-vc');
const { ES256, digest, generateSalt } = require('@sd-jwt/crypto-nodejs');

const readJwk = (dir, name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));

async function instance(dir) {
  const issuerPub = readJwk(dir, 'issuer.pub.jwk');
  const issuerPriv = readJwk(dir, 'issuer.jwk');
  const holderPriv = readJwk(dir, 'holder.jwk');
  return new SDJwtVcInstance({
    signer: await ES256.getSigner(issuerPriv),
    signAlg: ES256.alg,
    verifier: await ES256.getVerifier(issuerPub),
    kbSigner: await ES256.getSigner(holderPriv),
    kbSignAlg: ES256.alg,
    // The key binding JWT must verify with the key the issuer put in cnf.jwk.
    kbVerifier: async (data, sig, payload) => {
      const jwk = payload && payload.cnf && payload.cnf.jwk;
      if (!jwk) return false;
      return (await ES256.getVerifier(jwk))(data, sig);
    },
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  });
}

async function keys(dir) {
  for (const who of ['issuer', 'holder']) {
    const { publicKey, privateKey } = await ES256.generateKeyPair();
    const clean = (k) => Object.fromEntries(
      Object.entries(k).filter(([n]) => ['kty', 'crv', 'x', 'y', 'd'].includes(n)));
    fs.writeFileSync(path.join(dir, `${who}.jwk`), JSON.stringify(clean(privateKey)));
    fs.writeFileSync(path.join(dir, `${who}.pub.jwk`), JSON.stringify(clean(publicKey)));
  }
}

async function issuePresent(dir, nonce, aud) {
  const sdjwt = await instance(dir);
  const holderPub = readJwk(dir, 'holder.pub.jwk');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://js-issuer.example',
    vct: 'urn:mobid:interop:1',
    iat: now,
    exp: now + 3600,
    cnf: { jwk: holderPub },
    given_name: 'Jimin',
    family_name: 'Kim',
    birthdate: '1990-01-31',
    address: { street_address: '12 Sejong-daero', locality: 'Seoul', country: 'KR' },
    nationalities: ['KR', 'US'],
  };
  const frame = {
    _sd: ['given_name', 'family_name', 'birthdate', 'address'],
    address: { _sd: ['country', 'locality'] },
    nationalities: { _sd: [1] },
  };
  const credential = await sdjwt.issue(claims, frame);
  const presentation = await sdjwt.present(
    credential,
    { given_name: true, address: { country: true }, nationalities: { 1: true } },
    { kb: { payload: { iat: now, aud, nonce } } });
  process.stdout.write(presentation + '\n');
}

async function verify(dir, nonce, aud, file) {
  const sdjwt = await instance(dir);
  const pres = fs.readFileSync(file, 'utf8').trim();
  try {
    const res = await sdjwt.verify(pres, { keyBindingNonce: nonce });
    if (!res.kb) throw new Error('no key binding JWT');
    if (res.kb.payload.aud !== aud) throw new Error('KB-JWT aud mismatch');
    process.stdout.write(JSON.stringify({ valid: true, claims: res.payload }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ valid: false, error: String(e.message || e) }) + '\n');
    process.exit(1);
  }
}

const [cmd, ...args] = process.argv.slice(2);
const cmds = { keys, 'issue-present': issuePresent, verify };
if (!cmds[cmd]) {
  process.stderr.write('usage: node peer.js keys|issue-present|verify ...\n');
  process.exit(2);
}
cmds[cmd](...args).catch((e) => {
  process.stderr.write(`peer.js: ${e.stack || e}\n`);
  process.exit(3);
});
