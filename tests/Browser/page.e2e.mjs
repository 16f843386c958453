// The page in a real browser: Debian's chromium driven by playwright-core (no browser is downloaded), against a
// running local host. Run by Pipeline.IntegrationTests (VideosPageBrowserTests), which starts the host:
//   node tests/Browser/page.e2e.mjs --url http://localhost:7071 --image samples/harbour.jpg --inbox <folder> --artifacts <folder>
// Exits 0 when every step passed; prints each step; saves a screenshot of each state; fails on any console error.
import { chromium } from "playwright-core";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const url = args.url ?? "http://localhost:7071";
const artifacts = args.artifacts ?? "artifacts/browser";
const timeout = Number(args.timeout ?? 90000);
await mkdir(artifacts, { recursive: true });

const consoleErrors = [];
let expectedFailures = 0; // responses the current step expects the page to get (a 400 for a bad form)

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
});

function step(name) {
  console.log(`step: ${name}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

function row(page, text) {
  return page.locator("li.job", { hasText: text }).first();
}

async function waitForStatus(locator, statuses, ms = timeout) {
  const wanted = [].concat(statuses);
  await locator.waitFor({ timeout: ms });
  const handle = await locator.elementHandle();
  await locator.page().waitForFunction(
    ({ element, wanted }) => wanted.includes(element.dataset.status), { element: handle, wanted }, { timeout: ms });
  return locator.getAttribute("data-status");
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    if (expectedFailures > 0 && /status of 400/.test(message.text())) {
      expectedFailures--;
      return;
    }
    consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));

  step("open the page");
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("#new-video");
  if (!(await page.title()).includes("Video pipeline")) throw new Error(`unexpected title ${await page.title()}`);

  step("drop an image and make a video");
  await page.setInputFiles("#files", args.image);
  await page.waitForSelector("#file-list li");
  await page.fill("#prompt", "Boats rocking in the harbour");
  await page.selectOption("#resolution", "480p");
  await page.selectOption("#duration", "4");
  await shot(page, "1-form");
  await page.click("#submit");
  const harbour = row(page, "Boats rocking in the harbour");
  const first = await waitForStatus(harbour, ["queued", "running", "succeeded"]);
  console.log(`  first seen as ${first}`);
  await shot(page, "2-queued");

  step("watch it succeed and play the video");
  await waitForStatus(harbour, "succeeded");
  const duration = await harbour.locator("video").evaluate((video) => new Promise((resolve, reject) => {
    if (video.readyState >= 1) resolve(video.duration);
    video.addEventListener("loadedmetadata", () => resolve(video.duration));
    video.addEventListener("error", () => reject(new Error(`the video did not load (media error ${video.error?.code})`)));
    video.load();
  }));
  if (!(duration > 0)) throw new Error(`the video's duration is ${duration}`);
  console.log(`  video duration ${duration.toFixed(2)} s`);
  await shot(page, "3-succeeded");

  if (args.inbox) {
    step("a file dropped into the inbox folder shows up with its name");
    const name = `from-folder-${Date.now()}.jpg`;
    await copyFile(args.image, path.join(args.inbox, name));
    await waitForStatus(row(page, name), ["queued", "running", "succeeded"]);

    step("a manifest dropped into the inbox folder shows as a batch with its progress, and lists its jobs");
    const manifest = `shots-${Date.now()}.csv`;
    await writeFile(path.join(args.inbox, manifest),
      "prompt,name,resolution,duration\r\nA kite over the dunes,kite,480p,4\r\nA lantern in the rain,lantern,480p,4\r\n");
    const batch = page.locator("li.batch-row", { hasText: manifest });
    await batch.waitFor({ timeout });
    await page.waitForFunction((element) => element.querySelector(".counts").textContent.startsWith("2 of 2 done"),
      await batch.elementHandle(), { timeout }).catch(async (error) => {
      const id = await batch.getAttribute("data-id");
      const json = await page.evaluate(async (id) => (await fetch(`/api/batches/${id}`)).text(), id);
      throw new Error(`${error.message}; the batch shows: ${await batch.innerHTML()}; the API: ${json}; console: ${consoleErrors.join(" | ")}`);
    });
    const bar = await batch.locator("progress").evaluate((p) => [p.value, p.max]);
    if (bar[0] !== 2 || bar[1] !== 2) throw new Error(`the batch's progress bar shows ${bar[0]} of ${bar[1]}`);
    console.log(`  ${await batch.locator(".counts").textContent()}`);
    await shot(page, "3b-batch");
    await batch.locator("button.show").click();
    await page.waitForFunction(() => document.querySelectorAll("#jobs li.job").length === 2 &&
      [...document.querySelectorAll("#jobs li.job .batch")].every((b) => b.textContent.startsWith("row ")), null, { timeout: 15000 });
    await page.click("#all-jobs");
    await row(page, "Boats rocking in the harbour").waitFor({ timeout: 15000 });
  }

  step("an invalid form shows the API's error next to its field");
  await page.setInputFiles("#files", { name: "not-an-image.png", mimeType: "image/png", buffer: Buffer.from("<html>not an image</html>") });
  await page.fill("#prompt", "This one is refused");
  expectedFailures = 1;
  await page.click("#submit");
  const fieldError = page.locator("#drop .error");
  await page.waitForFunction((element) => element.textContent.includes("must be a JPEG, PNG, WebP or HEIC image"), await fieldError.elementHandle(), { timeout: 15000 });
  console.log(`  field error: ${await fieldError.textContent()}`);
  await shot(page, "4-field-error");
  expectedFailures = 0;
  await page.click("#file-list button"); // remove the bad file

  step("cancel a slow job");
  await page.check("input[name=mode][value=text-to-video]");
  await page.fill("#prompt", "A very slow sunrise [emulator: run=600s]");
  await page.click("#submit");
  const slow = row(page, "A very slow sunrise");
  await waitForStatus(slow, ["queued", "running"]);
  await slow.locator("button.cancel").click();
  await waitForStatus(slow, "cancelled");
  console.log(`  ${await slow.locator(".reason").textContent()}`);
  await shot(page, "5-cancelled");

  step("readable on a phone");
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error(`the page is ${overflow}px wider than a phone's screen`);
  await shot(page, "6-phone");

  step("keyboard: every control can be reached with Tab");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(url);
  const reached = new Set();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.name || document.activeElement?.tagName));
  }
  for (const control of ["files", "prompt", "resolution", "duration", "seed", "submit"]) {
    if (!reached.has(control)) throw new Error(`${control} is not reachable with the keyboard (reached: ${[...reached].join(", ")})`);
  }

  if (consoleErrors.length > 0) throw new Error(`console errors: ${consoleErrors.join(" | ")}`);
  console.log("page test passed");
} catch (error) {
  console.error(`page test failed: ${error.stack ?? error}`);
  if (consoleErrors.length > 0) console.error(`console errors: ${consoleErrors.join(" | ")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
