// The citizen's wallet app (`mobid wallet serve`, started by `mobid up` on port base+3)
// in Debian's chromium at 390x844, through the whole journey: the console issues a
// card, the app receives it from an uploaded QR image, presents to Government 24 (a
// pasted link) and to the bank (an uploaded QR), shows the card suspended after the
// officer suspends it while the portal refuses it, and refuses a relying party the
// ministry has not registered. Screenshots of every screen go to
// tests/browser/artifacts-wallet/. Exit 0 when every check passed, 1 otherwise.
//
//   MOBID_BIN=build/mobid node tests/browser/wallet_app.mjs
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { harness, signIn, signOut, fileApplication, applicant, step } from "./lib.mjs";

const h = await harness("artifacts-wallet");
h.run = (args) => new Promise((resolve) => {
  const p = spawn(h.BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  p.on("exit", (code) => resolve({ code, out, err }));
});
h.spawnServer = (args) => spawn(h.BIN, args, { stdio: ["ignore", "ignore", "ignore"] });
const { ART, TMP, check, must, shot, saveDataPng } = h;
const PIN = "482916";

async function issueCard(page, urls, state) {
  const officer = state.officers.find((o) => o.username === "los-angeles.officer");
  const supervisor = state.officers.find((o) => o.username === "los-angeles.supervisor");
  await signIn(page, urls, officer);
  const rrn = "900301-1" + String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
  await fileApplication(page, urls, applicant(rrn));
  const appUrl = page.url();
  must(/\/console\/applications\/[A-Za-z0-9_-]{22}$/.test(appUrl), "the console files the application");
  await step(page, "verify", { passport_seen: true, residency: "US permanent resident card" });
  await signOut(page);
  await signIn(page, urls, supervisor);
  await page.goto(appUrl);
  await step(page, "approve");
  await step(page, "offer");
  must(await page.isVisible("#offer-qr"), "the console shows the offer QR");
  const tx = (await page.textContent("#tx-code")).trim();
  const qr = saveDataPng(await page.getAttribute("#offer-qr", "src"), path.join(ART, "offer-qr.png"));
  return { appUrl, tx, qr, rrn };
}

// The PIN typed on the app's number pad, from the keyboard.
async function typePin(phone, pin) {
  await phone.waitForSelector("#s-pin:not([hidden])");
  await phone.focus("#pad button");
  for (const d of pin) {
    await phone.focus(`#pad button[aria-label="${d}"]`);
    await phone.keyboard.press("Enter");
  }
  await phone.focus("#f-pin button[type=submit]");
  await phone.keyboard.press("Enter");
}

async function screen(phone, name, timeout = 60000) {
  await phone.waitForSelector(`#s-${name}:not([hidden])`, { timeout });
}

async function portalLink(page, url) {
  await page.goto(url);
  await page.click("#verify");
  await page.waitForSelector("#qr", { state: "visible" });
  return { link: await page.getAttribute("#same-device", "href"), qrSrc: await page.getAttribute("#qr", "src") };
}

// Present from the app: a link pasted, or a QR image uploaded. Returns the consent's claims.
async function present(phone, how, name) {
  await phone.click('nav button[data-go="cards"]');
  await phone.click('#s-cards button[data-go="present"]');
  await screen(phone, "present");
  if (how.link) await phone.fill("#present-uri", how.link);
  else await phone.setInputFiles("#present-qr", how.qr);
  await shot(phone, `${name}-present`);
  await phone.click("#f-present button[type=submit]");
  await phone.waitForSelector("#s-consent:not([hidden]), #s-refused:not([hidden])", { timeout: 60000 });
  return phone.isVisible("#s-consent");
}

async function noSecretsStored(phone, when) {
  const n = await phone.evaluate(() => localStorage.length + sessionStorage.length);
  check(n === 0, `nothing in localStorage or sessionStorage (${when})`);
}

async function security(urls) {
  const base = new URL(urls.wallet).origin;
  const bare = await fetch(`${base}/`);
  check(bare.status === 403, `without the launch secret nothing is served (${bare.status})`);
  const api = await fetch(`${base}/api/state`);
  check(api.status === 401, `the API without a session: ${api.status}`);
  const wrong = await fetch(`${base}/open?k=wrong-secret-0123456789`, { redirect: "manual" });
  check(wrong.status === 403, `a wrong secret opens nothing (${wrong.status})`);
  const open = await fetch(urls.wallet, { redirect: "manual" });
  const cookie = (open.headers.get("set-cookie") || "").split(";")[0];
  const sc = open.headers.get("set-cookie") || "";
  check(open.status === 303 && /HttpOnly/i.test(sc) && /SameSite=Strict/i.test(sc),
        "the secret opens a session: HttpOnly, SameSite=Strict cookie, redirect without the secret");
  const page = await fetch(`${base}/`, { headers: { cookie } });
  const csp = page.headers.get("content-security-policy") || "";
  check(page.status === 200 && csp.includes("script-src 'self'") && !csp.includes("unsafe-inline") &&
        csp.includes("frame-ancestors 'none'"), "the page carries a strict CSP");
  const forged = await fetch(`${base}/api/lock`, { method: "POST", headers: { cookie, "Content-Type": "application/json" }, body: "{}" });
  const fj = await forged.json().catch(() => ({}));
  check(forged.status === 403 && fj.error === "CSRF", `a POST without the CSRF token is refused (${forged.status} ${fj.error})`);
}

// A relying party with a certificate from the ministry's RP CA whose registration is
// signed by someone else's registrar (a verifier of its own, trusting that registrar):
// not registered with the ministry. Returns its request link.
async function rogueLink(urls) {
  const up = path.join(TMP, "up"), rogue = path.join(TMP, "rogue"), hybrid = path.join(TMP, "hybrid");
  must((await h.run(["pki", "init", rogue])).code === 0, "a registrar of its own (pki init)");
  fs.mkdirSync(hybrid);
  for (const f of ["rp-ca.pem", "rp-ca.key"]) fs.copyFileSync(path.join(up, "pki", f), path.join(hybrid, f));
  for (const f of ["iaca.pem", "iaca.key"]) fs.copyFileSync(path.join(rogue, f), path.join(hybrid, f));
  const vcfg = JSON.parse(fs.readFileSync(path.join(up, "verifier.json"), "utf8"));
  const bankProfile = vcfg.profiles.bank_age_check.credentials[0];
  fs.writeFileSync(path.join(TMP, "allowed.json"), JSON.stringify([{ format: bankProfile.format,
    type: bankProfile.meta.doctype_value, claims: bankProfile.claims.map((c) => c.path) }]));
  const iss = await h.run(["pki", "rp-issue", hybrid, "--id", "rogue", "--name", "Rogue Shop",
    "--legal-basis", "none", "--allowed", path.join(TMP, "allowed.json"), "--out", path.join(up, "rogue")]);
  must(iss.code === 0, `an access certificate from the ministry's RP CA, registered elsewhere ${iss.err}`);
  const key = "rogue-api-key-0123456789abcdef";
  const { createHash } = await import("node:crypto");
  const port = h.PORT + 50;
  vcfg.registration_anchors = [path.join(hybrid, "iaca.pem")];
  vcfg.relying_parties = [{ id: "rogue", cert: "rogue/rogue.pem", key: "rogue/rogue.key",
    registration: "rogue/rogue.registration.jwt", response_mode: "direct_post.jwt",
    api_key_sha256: createHash("sha256").update(key).digest("hex") }];
  vcfg.public_url = `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(up, "verifier-rogue.json"), JSON.stringify(vcfg));
  h.rogue = h.spawnServer(["verifier", "serve", "--listen", `127.0.0.1:${port}`, "--db",
    `sqlite:${path.join(TMP, "rogue.db")}`, "--config", path.join(up, "verifier-rogue.json"),
    "--public-url", `http://127.0.0.1:${port}`]);
  let r = null;
  for (let i = 0; i < 200 && !r; i++) {
    r = await fetch(`http://127.0.0.1:${port}/api/v1/verifications`, { method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify({ profile: "bank_age_check" }) }).catch(() => null);
    if (!r) await new Promise((res) => setTimeout(res, 100));
  }
  const j = r ? await r.json() : {};
  must(j.deep_link, `the unregistered party's verifier makes a request (${r && r.status} ${JSON.stringify(j).slice(0, 200)})`);
  return j.deep_link;
}

async function main() {
  const ready = await h.startUp();
  const urls = { ...ready.urls };
  check(urls.wallet && !urls.wallet.includes("k="), "mobid up prints the wallet app's address without its secret");
  urls.wallet = fs.readFileSync(path.join(TMP, "up", ready.secret_files.wallet_link), "utf8").trim();
  must(/\/open\?k=[0-9a-f]{64}$/.test(urls.wallet), "mobid up writes the wallet app's link with its secret to a file");
  const state = await h.state(urls, ["los-angeles.officer", "los-angeles.supervisor"]);
  await security(urls);

  const page = await h.browser();
  const phone = await h.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });

  // first start: a PIN, twice
  await phone.goto(urls.wallet);
  check(!phone.url().includes("k="), "the secret leaves the address bar");
  await screen(phone, "setup");
  await shot(phone, "app-first-start");
  await phone.fill("#pin-new", PIN);
  await phone.fill("#pin-again", "111111");
  await phone.click("#f-setup button[type=submit]");
  await phone.waitForSelector("#error:not([hidden])");
  check(/INVALID_ARG/.test(await phone.textContent("#error-code")), "two different PINs are refused, with the code shown");
  await shot(phone, "app-pins-differ");
  await phone.fill("#pin-new", PIN);
  await phone.fill("#pin-again", PIN);
  await phone.click("#f-setup button[type=submit]");
  await screen(phone, "cards");
  await shot(phone, "app-no-cards");
  await noSecretsStored(phone, "after the first start");

  // the console issues a card; the app receives it from the QR image
  const card = await issueCard(page, urls, state);
  await phone.click('button[data-go="add"]');
  await screen(phone, "add");
  await phone.setInputFiles("#add-qr", card.qr);
  await phone.fill("#add-tx", card.tx);
  await shot(phone, "app-add-card");
  await phone.click("#f-add button[type=submit]");
  await screen(phone, "pin");
  await shot(phone, "app-pin-pad");
  await typePin(phone, PIN);
  await screen(phone, "result", 90000);
  check(/received/.test(await phone.textContent("#result-title")), "the app received the card from the uploaded QR image");
  await shot(phone, "app-card-received");
  await phone.click('#s-result button[data-go="cards"]');
  await screen(phone, "cards");
  const cards = await phone.locator("#cards .idcard").count();
  check(cards >= 1, `my cards: ${cards} drawn as ID cards`);
  const text = await phone.textContent("#cards");
  check(/홍길동/.test(text) && /HONG|Hong/.test(text) && /재외국민 주민등록증/.test(text), "the card shows the Hangul and Latin names and the card type");
  check((await phone.getAttribute("#cards .badge", "data-status")) === "active", "the status badge says active");
  await shot(phone, "app-my-cards");
  await phone.click("#cards .idcard");
  await screen(phone, "detail");
  check(/남은 일회용 사본 Single-use copies left: \d+ \/ \d+/.test(await phone.textContent("#detail-copies")), "the card detail says how many copies are left");
  check(await phone.isVisible("#detail-claims dt.sensitive"), "the registration number is marked sensitive");
  await shot(phone, "app-card-detail");
  await phone.click('#s-detail button[data-go="cards"]');
  await noSecretsStored(phone, "with a card");

  // Government 24 by a pasted link: consent, PIN, verified on the portal
  const gov = await portalLink(page, `${urls.portal}/`);
  check(await present(phone, { link: gov.link }, "gov24"), "Government 24's request reaches the consent screen");
  const govName = (await phone.textContent("#c-name")).trim();
  check(govName.length > 0 && (await phone.textContent("#c-basis")).trim().length > 1, `consent names who asks (${govName}) and why`);
  check((await phone.textContent("#c-client")).startsWith("x509_hash:"), "consent shows the certificate's client id");
  check(/CN=/.test(await phone.textContent("#c-subject")), `consent shows the certificate's subject (${await phone.textContent("#c-subject")})`);
  const govClaims = await phone.locator("#c-claims li").count();
  check(await phone.isVisible("#c-claims li.sensitive"), "the registration number is marked sensitive on the consent screen");
  await shot(phone, "app-consent-gov24");
  check(!(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)),
        "the consent screen fits 390 px");
  await phone.click("#c-yes");
  await typePin(phone, PIN);
  await screen(phone, "result", 90000);
  await shot(phone, "app-shared-gov24");
  await page.waitForSelector("#verified", { state: "visible", timeout: 60000 }).catch(() => {});
  check(await page.isVisible("#verified"), "the portal shows the verified result");
  await shot(page, "gov24-verified");

  // the bank by an uploaded QR: a smaller set of claims
  const bank = await portalLink(page, `${urls.portal}/bank`);
  const bankQr = saveDataPng(bank.qrSrc, path.join(ART, "bank-qr.png"));
  check(await present(phone, { qr: bankQr }, "bank"), "the bank's request reaches the consent screen");
  const bankClaims = await phone.locator("#c-claims li").count();
  check(bankClaims > 0 && bankClaims < govClaims, `the bank asks for fewer claims (${bankClaims} < ${govClaims})`);
  check(!(await phone.isVisible("#c-claims li.sensitive")), "nothing sensitive asked by the bank");
  await shot(phone, "app-consent-bank");
  await phone.click("#c-yes");
  await typePin(phone, PIN);
  await screen(phone, "result", 90000);
  await page.waitForSelector("#verified", { state: "visible", timeout: 60000 }).catch(() => {});
  check(await page.isVisible("#verified"), "the bank page shows the verified result");
  await shot(page, "bank-verified");

  // history
  await phone.click('nav button[data-go="history"]');
  await screen(phone, "history");
  check((await phone.locator("#history li").count()) === 2, "history: two presentations");
  await shot(phone, "app-history");

  // the officer suspends the card: the app shows it, the portal refuses
  await page.goto(card.appUrl);
  await step(page, "suspend", { reason: "lost phone reported" });
  await phone.click('nav button[data-go="settings"]');
  await phone.click("#lock-now");
  await screen(phone, "pin");
  await typePin(phone, PIN);
  await screen(phone, "cards");
  await phone.waitForSelector('#cards .badge[data-status="suspended"]', { timeout: 30000 }).catch(() => {});
  check(await phone.isVisible('#cards .badge[data-status="suspended"]'), "after the suspension the app shows the card suspended");
  await shot(phone, "app-card-suspended");
  const sus = await portalLink(page, `${urls.portal}/`);
  if (await present(phone, { link: sus.link }, "gov24-suspended")) {
    await phone.click("#c-yes");
    await typePin(phone, PIN);
    await phone.waitForSelector("#s-result:not([hidden]), #error:not([hidden])", { timeout: 90000 });
  }
  await page.waitForSelector('#status-box[data-reason="suspended"]', { timeout: 60000 }).catch(() => {});
  check((await page.getAttribute("#status-box", "data-reason")) === "suspended", "the portal refuses the suspended card");
  await shot(page, "gov24-suspended");

  // a relying party the ministry has not registered: refused in the app
  const rogue = await rogueLink(urls);
  check(!(await present(phone, { link: rogue }, "unregistered")), "an unregistered relying party is refused before the consent screen");
  check(/RP_NOT_REGISTERED/.test(await phone.textContent("#refused-code")), "the refusal says why: RP_NOT_REGISTERED");
  await shot(phone, "app-unregistered-refused");

  // wrong PINs lock the wallet; settings delete it after a confirmation
  await phone.click('nav button[data-go="settings"]');
  await shot(phone, "app-settings");
  await phone.click("#lock-now");
  for (let i = 0; i < 5; i++) {
    await screen(phone, "pin");
    await typePin(phone, "000000");
    await phone.waitForSelector("#error:not([hidden])", { timeout: 60000 });
    console.log(`     wrong PIN ${i + 1}: ${await phone.textContent("#error-code")}`);
    if (i === 0) {
      check(/PIN_WRONG/.test(await phone.textContent("#error-code")) && /4 tries left/.test(await phone.textContent("#error-text")),
            "a wrong PIN says how many tries are left");
      await shot(phone, "app-wrong-pin");
    }
  }
  await screen(phone, "locked");
  check(/WALLET_LOCKED/.test(await phone.textContent("#error-code")), "after 5 wrong PINs the wallet is locked, with a message saying what to do");
  await shot(phone, "app-locked");
  await phone.click('#s-locked button[data-go="settings"]');
  await phone.click("#f-delete button[type=submit]");
  check(await phone.isVisible("#s-settings"), "delete waits for the confirmation box");
  await phone.check("#delete-sure");
  await shot(phone, "app-delete-confirm");
  await phone.click("#f-delete button[type=submit]");
  await screen(phone, "setup");
  check(!fs.existsSync(path.join(TMP, "up", "phone.wallet")), "the wallet is deleted");
  await shot(phone, "app-deleted");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "the app fits 390 px");
}

try {
  await main();
} catch (e) {
  console.log(`FAIL ${e.message}`);
  h.failures++;
}
if (h.rogue) h.rogue.kill("SIGTERM");
process.exit(await h.finish());
