// Browser test of the office console as an officer's tool: Debian's chromium driven by
// playwright-core against `mobid up`, with the wallet CLI as the phones. Checks the
// application page's card state and history, the actions each state and role offer
// (and the refusals that say who can act), Revoke's confirmation, a lost offer
// replaced and another cancelled, a reissue to a new phone, search by name, birth date
// and registration number, post/redirect/get, HTML error pages, the favicon, office
// local times and readable audit. Screenshots go to tests/browser/artifacts/console/.
//
//   MOBID_BIN=build/mobid node tests/browser/console.mjs
import fs from "node:fs";
import path from "node:path";
import { harness, signIn, signOut, fileApplication, applicant, step, postForm } from "./lib.mjs";

const h = await harness("artifacts/console");
const { ART, TMP, check, must, shot, wallet, saveDataPng } = h;

const rnd = () => String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
const state = async (page) => ({ app: await page.getAttribute("#state", "data-state"),
                                 card: await page.getAttribute("#state", "data-card") });
const has = async (page, sel) => (await page.locator(sel).count()) > 0;

async function offerAndReceive(page, appUrl, phone, name) {
  await page.goto(appUrl);
  await step(page, "offer");
  must(await page.isVisible("#offer-qr"), `${name}: the offer page`);
  check(/\/offer\/[A-Za-z0-9_-]+$/.test(page.url()), `${name}: the offer page is a GET after a redirect`);
  const tx = (await page.textContent("#tx-code")).trim();
  const qr = saveDataPng(await page.getAttribute("#offer-qr", "src"), path.join(ART, `${name}-qr.png`));
  return { tx, qr };
}

async function receive(phone, offer) {
  if (!fs.existsSync(path.join(TMP, `${phone}.wallet`)))
    must((await wallet(["init"], phone)).code === 0, `${phone}: wallet init`);
  return wallet(["receive", "--qr", offer.qr, "--tx-code", offer.tx], phone);
}

async function main() {
  const { urls } = await h.startUp();
  const up = await h.state(urls, ["los-angeles.officer", "los-angeles.supervisor"]);
  const officer = up.officers.find((o) => o.username === "los-angeles.officer");
  const supervisor = up.officers.find((o) => o.username === "los-angeles.supervisor");
  must(officer && supervisor, "up.json names the Los Angeles officer and supervisor");
  const page = await h.browser();
  const I = urls.issuer;

  // ---- two applications; search finds each by name, birth date and number ----
  await signIn(page, urls, officer);
  const rrnA = "900301-1" + rnd(), rrnB = "851111-1" + rnd();
  await fileApplication(page, urls, applicant(rrnA));
  const appA = page.url();
  must(/\/console\/applications\/[A-Za-z0-9_-]{22}$/.test(appA), "application A is filed");
  await fileApplication(page, urls, applicant(rrnB, {}, { latin: ["Kim", "Minsu"], hangul: ["김", "민수"],
                                                          birth: "1985-11-11" }));
  const appB = page.url();
  const idA = appA.split("/").pop(), idB = appB.split("/").pop();

  await page.goto(`${I}/console/applications`);
  const listText = await page.textContent("#applications");
  check(listText.includes("홍길동") && listText.includes("Hong Gildong") && listText.includes("1990-03-01"),
        "the list shows the applicant's name (Hangul and Latin) and birth date");
  check(!/[A-Za-z0-9_-]{22}/.test(listText.replace(/\s+/g, " ")), "the list shows names, not ids");
  await shot(page, "list");
  const find = async (q) => {
    const qs = new URLSearchParams(q).toString();
    await page.goto(`${I}/console/applications?${qs}`);
    return page.$$eval("#applications tbody td.who a", (as) => as.map((a) => a.getAttribute("href").split("/").pop()));
  };
  let hits = await find({ name: "홍길동" });
  check(hits.includes(idA) && !hits.includes(idB), `search by Hangul name finds A only (${hits.length})`);
  await shot(page, "search-hangul");
  hits = await find({ name: "gildong HONG" });
  check(hits.includes(idA) && !hits.includes(idB), "search by Latin name in either order and any case finds A");
  hits = await find({ name: "민수" });
  check(hits.includes(idB) && !hits.includes(idA), "search by a given name alone finds B");
  hits = await find({ birth: "1985-11-11" });
  check(hits.includes(idB) && !hits.includes(idA), "search by birth date finds B");
  hits = await find({ rrn: rrnB.replace("-", "") });
  check(hits.length === 1 && hits[0] === idB, "search by registration number (without the dash) finds B only");
  hits = await find({ name: "Hong Gildong", birth: "1985-11-11" });
  check(hits.length === 0 && (await page.isVisible("#no-match")), "name and birth date together must both match");
  await shot(page, "search-none");

  // a refused application: both languages say what is wrong, with the card type's labels
  await fileApplication(page, urls, applicant("900301-1" + rnd(), {}, { birth: "1991-03-01" }));
  const why = (await page.textContent("#refusal").catch(() => "")).replace(/\s+/g, " ");
  check(/주민등록번호의 생년월일/.test(why) && /is not Birth date/.test(why) && !/birth_date/.test(why),
        `a registration number that disagrees with the birth date: specific in Korean and English (${why.trim()})`);
  await shot(page, "refused-form");

  // ---- actions by state and role ----
  await page.goto(appA);
  check(await has(page, "#do-verify") && !(await has(page, "#do-approve")) && !(await has(page, "#do-suspend")),
        "received: Verify and Reject only");
  await step(page, "verify", { passport_seen: true, residency: "US permanent resident card" });
  check(/[?]done=verify$/.test(page.url()) && (await page.isVisible(".notice.ok")), "verify: redirected back with Done");
  await page.reload();
  check((await state(page)).app === "verified" && !(await has(page, "#refusal")),
        "a reload after the redirect repeats nothing");
  check(!(await has(page, "#do-approve")) && /another officer approves/.test(await page.textContent('[data-why="approve"]')),
        "the officer who verified is not offered Approve");
  const hist = await page.textContent("#history");
  check(/application filed/.test(hist) && /identity verified/.test(hist) && /los-angeles/.test(hist) &&
        /P[SD]T/.test(hist) && !hist.includes("{\""), "history: what, who by name, office local time, no raw JSON");
  check(/(PST|PDT)/.test(await page.textContent('[data-field="received_by"]')),
        "the received time is in the office's zone");
  await shot(page, "verified-officer");
  // B goes as far as an offer, to be cancelled later
  await page.goto(appB);
  await step(page, "verify", { passport_seen: true, residency: "US permanent resident card" });
  await signOut(page);

  await signIn(page, urls, supervisor);
  await page.goto(appA);
  await step(page, "approve");
  check((await state(page)).app === "approved", "approved by a second officer");
  const lost = await offerAndReceive(page, appA, "phone", "lost");
  await page.reload();
  check(!(await page.isVisible("#offer-qr")) && (await page.getAttribute("#refusal", "data-error")) === "NOT_FOUND" &&
        /shown only once/.test(await page.textContent("#refusal")), "a reload does not show the code again");
  await page.goto(appA);
  check((await state(page)).app === "offer_issued" && (await has(page, "#do-reoffer")) && (await has(page, "#do-cancel")),
        "offer issued: the supervisor may replace or cancel it");
  await step(page, "reoffer");
  check(await page.isVisible("#offer-qr"), "a lost offer is replaced by a new one");
  const tx = (await page.textContent("#tx-code")).trim();
  const qr = saveDataPng(await page.getAttribute("#offer-qr", "src"), path.join(ART, "replaced-qr.png"));
  await shot(page, "offer-replaced");
  const old = await receive("phone", lost);
  check(old.code !== 0, `the replaced offer no longer works (exit ${old.code})`);
  const rec = await receive("phone", { tx, qr });
  if (rec.code !== 0) console.log(rec.err);
  must(rec.code === 0, "the wallet receives the card from the replacement offer");

  await page.goto(appB);
  await step(page, "approve");
  await offerAndReceive(page, appB, "phone", "cancelled");
  await page.goto(appB);
  await step(page, "cancel", { reason: "applicant withdrew" });
  check((await state(page)).app === "cancelled" && !(await has(page, "#actions form")),
        "the supervisor cancels an offer; nothing more is offered");
  await signOut(page);

  // the officer: suspend yes; resume and revoke are the supervisor's, and said so
  await signIn(page, urls, officer);
  await page.goto(appA);
  let st = await state(page);
  check(st.app === "card_issued" && st.card === "active" && /card active/.test(await page.textContent("#state")),
        "card issued: the page shows the card active");
  check((await has(page, "#do-suspend")) && !(await has(page, "#do-revoke")) &&
        /Only a supervisor can revoke/.test(await page.textContent('[data-why="revoke"]')),
        "an officer may suspend; revoke is the supervisor's, and the page says so");
  await step(page, "suspend", { reason: "phone reported lost" });
  st = await state(page);
  check(st.card === "suspended" && /card suspended/.test(await page.textContent("#state")),
        "after Suspend the state reads suspended");
  check(!(await has(page, "#do-resume")) && /Only a supervisor can resume/.test(await page.textContent('[data-why="resume"]')),
        "no Resume for an officer");
  await shot(page, "suspended-officer");
  await postForm(page, `${appA}/resume`, { reason: "found it" });
  check((await page.getAttribute("#refusal", "data-error")) === "ACCESS_DENIED" &&
        /Only a supervisor can resume the card/.test(await page.textContent("#refusal")) &&
        /감독관만/.test(await page.textContent("#refusal")),
        "a forged Resume by an officer: both languages say only a supervisor can resume");
  await shot(page, "resume-refused");
  const histSus = await page.textContent("#history");
  check(/card suspended/.test(histSus) && /phone reported lost/.test(histSus), "history: the suspension and its reason");

  // PRG and error pages
  const get = await page.goto(`${appA}/suspend`);
  check(get.status() === 200 && page.url() === appA, "opening an action's address leads to the application (no 405)");
  const nf = await page.goto(`${I}/console/no-such-page`);
  check(nf.status() === 404 && (nf.headers()["content-type"] || "").startsWith("text/html") &&
        (await page.isVisible("#not-found")), "an unknown console address gets an HTML 404 page");
  await shot(page, "not-found");
  const other = await page.goto(`${I}/console/applications/AAAAAAAAAAAAAAAAAAAAAA`);
  check(other.status() === 404 && (await page.isVisible("#refusal")), "an unknown application: an HTML page");
  const fav = await page.goto(`${I}/favicon.ico`);
  check(fav.status() === 200 && (fav.headers()["content-type"] || "").includes("svg"), "a favicon");
  await page.goto(`${I}/console/audit`);
  const audit = await page.textContent("#audit");
  check(!audit.includes("{\"") && /card suspended/.test(audit) && /P[SD]T/.test(audit),
        "the audit trail reads as sentences in the office's time zone");
  await shot(page, "audit");
  await signOut(page);

  // ---- reissue to a new phone: the old application shows the real state ----
  await signIn(page, urls, officer);
  await fileApplication(page, urls, applicant(rrnA));
  const appA2 = page.url();
  must(appA2 !== appA && /applications\/[A-Za-z0-9_-]{22}$/.test(appA2), "a new application for the new phone");
  await step(page, "verify", { passport_seen: true, residency: "US permanent resident card" });
  await signOut(page);
  await signIn(page, urls, supervisor);
  await page.goto(appA2);
  await step(page, "approve");
  const o2 = await offerAndReceive(page, appA2, "phone2", "newphone");
  must((await receive("phone2", o2)).code === 0, "the new phone receives the card");
  await page.goto(appA);
  st = await state(page);
  check(st.card === "replaced" && /superseded/.test(await page.textContent("#state")) &&
        !(await has(page, "#actions form")) && !(await has(page, "#do-revoke")),
        "after the reissue the old application shows its card superseded, with no actions");
  check(/superseded/.test(await page.textContent("#history")), "history: superseded by a new card");
  await shot(page, "superseded");
  await page.goto(appA2);
  check((await state(page)).card === "active" && (await has(page, "#do-revoke")), "the new card is active; the supervisor may revoke");

  // Revoke asks for a confirmation first
  await Promise.all([page.waitForNavigation(), page.click("#do-revoke")]);
  check(await page.isVisible("#revoke-warning"), "Revoke opens a confirmation page that warns");
  await shot(page, "revoke-confirm");
  await postForm(page, `${appA2}/revoke`, { reason: "no tick" });
  check(/unconfirmed=1/.test(page.url()), "a revoke without the confirmation does nothing");
  await page.goto(appA2);
  check((await state(page)).card === "active", "the card is still active");
  await Promise.all([page.waitForNavigation(), page.click("#do-revoke")]);
  await page.fill('[name="reason"]', "loss of residency");
  await page.check("#confirm");
  await Promise.all([page.waitForNavigation(), page.click("#confirm-revoke")]);
  st = await state(page);
  check(st.card === "revoked" && !(await has(page, "#actions form")), "revoked after the confirmation; nothing more");
  await shot(page, "revoked");
}

try {
  await main();
} catch (e) {
  check(false, e.message);
}
process.exit(await h.finish());
