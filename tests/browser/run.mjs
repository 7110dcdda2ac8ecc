// Browser tests of the office console and the portal: Debian's chromium driven by
// playwright-core against `mobid up` (issuer with the console, verifier, portal) on
// loopback, with the wallet CLI as the phone. Screenshots of every step go to
// tests/browser/artifacts/. Exit 0 when every check passed, 1 otherwise.
//
//   MOBID_BIN=build/mobid node tests/browser/run.mjs
import fs from "node:fs";
import path from "node:path";
import { harness, signIn, signOut, fileApplication, applicant, step, postForm } from "./lib.mjs";

const h = await harness("artifacts");
const { ART, TMP, PORT, check, must, shot, wallet, saveDataPng } = h;

async function consoleJourney(page, urls, state) {
  const officer = state.officers.find((o) => o.username === "los-angeles.officer");
  const supervisor = state.officers.find((o) => o.username === "los-angeles.supervisor");
  must(officer && supervisor, "up.json names the Los Angeles officer and supervisor");

  const bad = await signIn(page, urls, { username: officer.username, password: "wrong password 1" });
  check(bad.status() === 401 && (await page.isVisible("#signin-error")), "a wrong password is refused with a message");
  const ok = await signIn(page, urls, officer);
  const sc = (await ok.allHeaders())["set-cookie"] || "";
  check(/mobid_session=[^;]+;[^\n]*HttpOnly/i.test(sc) && /SameSite=Strict/i.test(sc),
        "session cookie is HttpOnly and SameSite=Strict");
  check(!/Secure/i.test(sc), "no Secure flag on plain loopback HTTP (set behind TLS)");
  const list = await page.goto(`${urls.issuer}/console/applications`);
  const csp = list.headers()["content-security-policy"] || "";
  check(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), "console pages carry a strict CSP");
  await shot(page, "console-applications");

  // inline eligibility check, then a real application with a portrait
  await page.goto(`${urls.issuer}/console/applications/new`);
  await page.fill("#f-birth_date", new Date(Date.now() - 10 * 365 * 86400e3).toISOString().slice(0, 10));
  check(/under 17/.test(await page.textContent("#check-birth_date")), "inline eligibility: under 17 flagged");
  await shot(page, "console-new-inline-check");
  const rrn = "900301-1" + String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
  await fileApplication(page, urls, applicant(rrn));
  const appUrl = page.url();
  must(/\/console\/applications\/[A-Za-z0-9_-]{22}$/.test(appUrl), "the application is filed");
  check(/received/.test(await page.textContent("#state")), "state: received");
  check(await page.isVisible("#portrait"), "the portrait is shown");
  await shot(page, "console-application-received");

  // HTML injection: markup in a name is shown as text
  await fileApplication(page, urls, applicant("851111-1" + rrn.slice(-6),
    { birth_date: "1985-11-11", given_name: '<b id="inj">x</b><script>window.pwned=1</script>' }));
  check((await page.locator("#inj").count()) === 0 && !(await page.evaluate(() => window.pwned)),
        "markup in applicant data is escaped");
  check((await page.content()).includes("&lt;b id=\"inj\"&gt;"), "the markup is shown as text");

  await page.goto(appUrl);
  await step(page, "verify", { passport_seen: true, residency: "US permanent resident card" });
  check(/verified/.test(await page.textContent("#state")), "identity verified");
  check((await page.locator("#do-approve").count()) === 0 && (await page.isVisible('[data-why="approve"]')),
        "the officer who verified is not offered Approve, and is told another officer approves");
  await postForm(page, `${appUrl}/approve`, {});
  check(/[?]refused=FOUR_EYES/.test(page.url()) && (await page.getAttribute("#refusal", "data-error")) === "FOUR_EYES",
        "a forged approval by the officer who verified is refused (four eyes), after a redirect");
  await shot(page, "console-four-eyes");

  // cross-site form posts without the CSRF token are refused
  const appId = appUrl.split("/").pop();
  for (const host of [`127.0.0.1:${PORT + 50}`, `localhost:${PORT + 51}`]) {
    await page.route(`http://${host}/evil`, (r) => r.fulfill({ contentType: "text/html", body:
      `<form id="f" method="post" action="${urls.issuer}/console/applications/${appId}/reject">` +
      `<input name="reason" value="forged"></form><script>document.getElementById("f").submit()</script>` }));
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/${appId}/reject`)),
      page.goto(`http://${host}/evil`),
    ]);
    check(resp.status() === 403, `cross-site form post from ${host} without the CSRF token: ${resp.status()}`);
    await shot(page, `csrf-refused-${host.split(":")[0]}`);
  }
  await page.goto(appUrl);
  check(/verified/.test(await page.textContent("#state")), "the forged posts changed nothing");
  await signOut(page);
  check(page.url().includes("/console/signin"), "signed out");
  await page.goto(`${urls.issuer}/console/applications`);
  check(page.url().includes("/console/signin"), "after sign-out the console asks to sign in");

  // the second officer approves and makes the offer
  await signIn(page, urls, supervisor);
  await page.goto(appUrl);
  await step(page, "approve");
  check(/approved/.test(await page.textContent("#state")), "approved by a second officer");
  await step(page, "offer");
  must(await page.isVisible("#offer-qr"), "the offer QR appears");
  const tx = (await page.textContent("#tx-code")).trim();
  check(/^[0-9]{4,10}$/.test(tx), "the tx_code is shown apart from the QR");
  check(!(await page.getAttribute("#offer-qr", "src")).includes(tx) || tx.length < 4, "the QR image is not the tx_code");
  await shot(page, "console-offer");
  const qr = saveDataPng(await page.getAttribute("#offer-qr", "src"), path.join(ART, "offer-qr.png"));
  return { appUrl, tx, qr, supervisor, rrn };
}

// ---- portal steps ----

async function portalVerify(page, url, name) {
  await page.goto(url);
  await page.click("#verify");
  await page.waitForSelector("#qr", { state: "visible" });
  const left = Number(await page.textContent("#countdown"));
  check(left > 170 && left <= 180, `${name}: QR with a 180 s countdown (${left})`);
  check((await page.getAttribute("#same-device", "href")).startsWith("openid4vp://"),
        `${name}: same-device link`);
  await page.click("#copy-link");
  await page.waitForFunction(() => /Copied/.test(document.getElementById("copy-state").textContent),
                             null, { timeout: 5000 }).catch(() => {});
  check(/Copied/.test(await page.textContent("#copy-state")), `${name}: the link's copy button copies`);
  await shot(page, `${name}-qr`);
  const qr = saveDataPng(await page.getAttribute("#qr", "src"), path.join(ART, `${name}-qr.png`));
  const presented = wallet(["present", "--qr", qr]);
  return presented;
}

async function main() {
  const ready = await h.startUp();
  const urls = ready.urls;
  const state = await h.state(urls, ["los-angeles.officer", "los-angeles.supervisor", "ministry.admin"]);
  check(urls && urls.issuer && urls.portal, "mobid up is ready");

  const page = await h.browser();

  const app = await consoleJourney(page, urls, state);
  must((await wallet(["init"])).code === 0, "wallet init");
  const rec = await wallet(["receive", "--qr", app.qr, "--tx-code", app.tx]);
  if (rec.code !== 0) console.log(rec.err);
  must(rec.code === 0, "the wallet receives the card from the QR image taken from the page");
  await page.goto(app.appUrl);
  check((await page.getAttribute("#state", "data-card")) === "active" && /card active/.test(await page.textContent("#state")),
        "console: the card is active");

  // Government 24: verified name and the certificate
  // the long poll's verified answer (an earlier one may be "pending")
  const govResult = page.waitForResponse(async (r) => r.url().includes("/api/v1/result") &&
    (await r.json().catch(() => ({}))).status === "verified", { timeout: 90000 }).then((r) => r.json());
  const gov = await portalVerify(page, `${urls.portal}/`, "gov24");
  await page.waitForSelector("#verified", { state: "visible", timeout: 60000 }).catch(() => {});
  const g = await gov;
  check(g.code === 0, "the wallet presents to Government 24");
  check((g.err.match(/재외국민 주민등록증 Overseas national resident ID card:/g) || []).length === 1 &&
        /- 주민등록번호 Resident registration number {2}\[민감 정보 sensitive\]/.test(g.err) &&
        /- 생년월일 Birth date\n/.test(g.err) && !/kr\.go\.mois\.resident\.1\//.test(g.err),
        "the wallet's consent names the card once, labels each claim and marks the sensitive ones");
  fs.writeFileSync(path.join(ART, "gov24-consent.txt"), g.err);
  check(await page.isVisible("#verified"), "the portal shows \"verified\" without a reload");
  check(/홍길동|Gildong/.test(await page.textContent("#name")), "the verified name is shown");
  const rrnShown = await page.$eval('#claims dt[data-claim="resident_registration_number"] + dd',
                                    (d) => d.textContent).catch(() => "");
  check(/^\d{6}-\d\*{6}$/.test(rrnShown), `the page masks the registration number (${rrnShown})`);
  check(/^MOBID-\d{4}-\d{4}-\d{4}$/.test((await page.textContent("#cert-number")).trim()),
        "a certificate with a verification number is issued");
  const dd = (claim) => page.$eval(`#claims dt[data-claim="${claim}"] + dd`, (d) => d.textContent).catch(() => "");
  const dt = (claim) => page.$eval(`#claims dt[data-claim="${claim}"]`, (d) => d.textContent).catch(() => "");
  check((await dt("family_name")) === "성 (로마자) Family name (Latin)" && /^국적 Nationality/.test(await dt("nationality")),
        `claims carry the card type's labels (${await dt("family_name")}; ${await dt("nationality")})`);
  const cert = (await govResult).certificate.html;
  check(/<th>성명 Name<\/th><td>홍길동 \(Gildong Hong\)<\/td>/.test(cert), "the certificate's 성명 is the whole name");
  check(cert.includes("국적 Nationality") && !cert.includes("family_name"), "the certificate's rows carry the card type's labels");
  await shot(page, "gov24-verified");

  // the bank sees only its claims
  const bank = await portalVerify(page, `${urls.portal}/bank`, "bank");
  await page.waitForSelector("#verified", { state: "visible", timeout: 60000 }).catch(() => {});
  const bk = await bank;
  check(bk.code === 0, "the wallet presents to the bank");
  const pageBank = (await page.textContent("header.bar.bank")).replace(/\s+/g, " ").trim();
  check(bk.err.includes(pageBank), `the wallet's consent names the bank as its page does (${pageBank})`);
  const claims = await page.$$eval("#claims dt", (dts) => dts.map((d) => d.getAttribute("data-claim")).sort());
  check(JSON.stringify(claims) === JSON.stringify(["age_over_19", "birth_date", "family_name", "given_name"]),
        `the bank page shows only its claims (${claims})`);
  check(!(await page.content()).includes(app.rrn.slice(0, 6) + "-"), "no registration number on the bank page");
  const age = await page.$eval('#claims dt[data-claim="age_over_19"] + dd', (d) => d.textContent).catch(() => "");
  check(age === "예 Yes", `the bank reads the age flag as a word (${age})`);
  await shot(page, "bank-verified");

  // same device (HAIP): the page's own link, and the wallet's way back to the page with
  // the one-time response code, which the page presents for the claims (in a tab of its
  // own: the openid4vp: link leads nowhere in the test's browser)
  const sdPage = await page.context().newPage();
  const sdStart = sdPage.waitForResponse((r) => r.url().includes("/api/v1/start/bank") &&
    r.request().postData() === JSON.stringify({ same_device: true }));
  await sdPage.goto(`${urls.portal}/bank`);
  await sdPage.click("#verify");
  await sdPage.waitForSelector("#qr", { state: "visible" });
  await sdPage.click("#same-device");
  const sd = await (await sdStart).json();
  const back = await wallet(["present", sd.same_device_link || ""]);
  const redirect = (() => { try { return JSON.parse(back.out).redirect_uri || ""; } catch { return ""; } })();
  check(back.code === 0 && redirect.startsWith(`${urls.portal}/bank#response_code=`),
        `same device: the wallet is sent back to the bank's page with a response code (${redirect})`);
  await sdPage.goto(redirect);
  await sdPage.waitForSelector("#verified", { state: "visible", timeout: 60000 }).catch(() => {});
  check(await sdPage.isVisible("#verified") && /Park|Hong|Gildong|홍/.test(await sdPage.textContent("#name")) &&
        !sdPage.url().includes("response_code"), "same device: the page presents the code and shows the result");
  await shot(sdPage, "bank-same-device");
  await sdPage.close();
  const bankKey = state.relying_parties.find((r) => r.id === "bank").api_key;
  const more = await fetch(`${urls.verifier}/api/v1/verifications`, { method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${bankKey}` },
    body: JSON.stringify({ dcql_query: { credentials: [{ id: "c", format: "mso_mdoc",
      meta: { doctype_value: "kr.go.mois.resident.1" },
      claims: [{ path: ["kr.go.mois.resident.1", "passport_number"] }] }] } }) });
  check(more.status === 403, `the bank asking for more than it is registered for is refused (${more.status})`);

  // suspended card: a clear message on the portal
  await page.goto(app.appUrl);
  await step(page, "suspend", { reason: "lost phone reported" });
  check(await page.isVisible(".notice.ok"), "the card is suspended from the console with a reason");
  check((await page.getAttribute("#state", "data-card")) === "suspended", "the page shows the card suspended");
  const sus = portalVerify(page, `${urls.portal}/`, "gov24-suspended");
  await page.waitForSelector('#status-box[data-reason="suspended"]', { timeout: 60000 }).catch(() => {});
  await sus;
  check((await page.getAttribute("#status-box", "data-reason")) === "suspended", "suspended card: clear message");
  await shot(page, "gov24-suspended");

  // revoked card (after the suspension is lifted): its own message
  await page.goto(app.appUrl);
  await step(page, "resume", { reason: "phone found" });
  check(await page.isVisible(".notice.ok"), "the card is resumed");
  await Promise.all([page.waitForNavigation(), page.click("#do-revoke")]);
  await page.fill('[name="reason"]', "loss of residency");
  await page.check("#confirm");
  await Promise.all([page.waitForNavigation(), page.click("#confirm-revoke")]);
  check(await page.isVisible(".notice.ok") && (await page.getAttribute("#state", "data-card")) === "revoked",
        "the card is revoked after its confirmation");
  const rev = portalVerify(page, `${urls.portal}/`, "gov24-revoked");
  await page.waitForSelector('#status-box[data-reason="revoked"]', { timeout: 60000 }).catch(() => {});
  await rev;
  check((await page.getAttribute("#status-box", "data-reason")) === "revoked", "revoked card: clear message");
  await shot(page, "gov24-revoked");

  // the audit trail and the admin's office view
  await page.goto(`${urls.issuer}/console/audit`);
  check((await page.locator("#audit tbody tr").count()) >= 5, "the office's audit trail lists the steps");
  await shot(page, "console-audit");
  await signOut(page);
  await signIn(page, urls, state.admin);
  await page.goto(`${urls.issuer}/console/audit`);
  check((await page.locator("#audit tbody tr").count()) >= 5 && (await page.isVisible(".notice.ok")),
        "the ministry admin sees every office's audit trail, its chain intact");
  await page.goto(`${urls.issuer}/console/offices`);
  check((await page.locator("#offices tbody tr").count()) >= 7 && (await page.locator("#offices td.closed").count()) > 0,
        "the ministry admin sees the offices and their opening dates");
  await shot(page, "console-offices");

  // expired QR: let the page's clock run past 180 s
  await page.clock.install();
  await page.goto(`${urls.portal}/`);
  await page.click("#verify");
  await page.waitForSelector("#qr", { state: "visible" });
  await page.clock.fastForward("03:05");
  check((await page.getAttribute("#status-box", "data-reason")) === "expired", "expired QR: clear message");
  await shot(page, "gov24-expired");

  // narrow screens
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${urls.issuer}/console/offices`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "console fits a phone-sized screen");
  await shot(page, "console-narrow");
  await page.goto(`${urls.portal}/bank`);
  await shot(page, "bank-narrow");
}

try {
  await main();
} catch (e) {
  check(false, e.message);
}
process.exit(await h.finish());
