// Issue 6: a reviewer answers three tasks with the keyboard; the answers complete the loops and
// file the images under the right label folders; a hostile label name renders as text.
import { expect, expectEqual, login, newPage, png, screenshot, test, waitFor } from './harness.mjs';

const XSS = '<img src=x onerror=alert(1)>';

test('review: a reviewer answers three tasks with the keyboard', async ({ loupe, browser }) => {
  await loupe.createUser('rita', 'reviewer', 'rita-password-1');
  // Three loops, least confident first (the queue's order): answered acme, globex, none.
  const loops = [
    { name: 'web-loop-1', answer: 'acme', confidence: 21.5, key: null, color: [200, 40, 40] },
    { name: 'web-loop-2', answer: 'globex', confidence: 32, key: null, color: [40, 160, 60] },
    { name: 'web-loop-3', answer: null, confidence: 43, key: '0', color: [40, 70, 200] },
  ];
  const choices = ['acme', 'globex', XSS];
  for (const [i, l] of loops.entries()) {
    const image = `images_for_detection/${l.name}.png`;
    const bytes = png(160, 120, (x, y) => ((x >> 4) + (y >> 4)) % 2 ? l.color : [240, 240, 240 - i * 20]);
    await loupe.must('PUT', `/v1/objects/${image}`, bytes, [200], { contentType: 'image/png' });
    await loupe.must('POST', '/v1/human-loops', {
      HumanLoopName: l.name,
      Image: image,
      Choices: choices,
      ModelAnswer: { Name: 'acme', Confidence: l.confidence },
    }, [200, 201]);
    l.image = image;
  }

  const { page } = await newPage(browser, loupe);
  await login(page, 'rita', 'rita-password-1');
  expectEqual(new URL(page.url()).pathname, '/review', 'a reviewer lands on the review page');
  const nav = await page.locator('.topbar nav a').allTextContents();
  expectEqual(nav, ['Review'], 'a reviewer sees only the Review page in the navigation');

  let first = true;
  let shownTask = null;
  for (const l of loops) {
    // Wait for this loop's task: each new task has a new id; tasks of loops the test did not
    // create are skipped with S.
    await waitFor(async () => {
      const id = await page.locator('.task').getAttribute('data-task-id', { timeout: 1000 }).catch(() => null);
      if (!id || id === shownTask) return false;
      shownTask = id;
      if ((await page.locator('.image-frame figcaption').textContent()) === l.image) return true;
      await page.keyboard.press('s');
      return false;
    }, `the task of ${l.name}`);
    await page.waitForFunction(() => document.querySelector('img.task-image')?.naturalWidth > 0);
    const labels = await page.locator('.choice .choice-label').allTextContents();
    expectEqual(labels, [...choices, 'None of these'], `choices shown for ${l.name}`);
    const model = await page.locator('.model-label').textContent();
    expectEqual(model, 'acme', "the model's answer");
    const conf = await page.locator('.confidence-value').textContent();
    expect(conf.includes(l.confidence.toFixed(1)), `confidence ${l.confidence} shown, got "${conf}"`);
    expect(/expires in \d+:\d\d/.test(await page.locator('[data-testid=lease]').textContent()), 'a lease countdown');

    if (first) {
      first = false;
      // The hostile label is text: visible verbatim, no element made from it, no dialog.
      await page.getByText(XSS, { exact: true }).waitFor({ state: 'visible' });
      const imgs = await page.locator('img').count();
      expectEqual(imgs, 1, 'img elements on the page (only the task image)');
      expectEqual(await page.locator('img[src="x"]').count(), 0, 'img elements made from the label');
      await screenshot(page, 'review-task-1280x800');
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('.choice').first().waitFor({ state: 'visible' });
      const box = await page.locator('#submit-answer').boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390, `submit button fits a 390 px screen: ${JSON.stringify(box)}`);
      await screenshot(page, 'review-task-390x844');
      await page.setViewportSize({ width: 1280, height: 800 });
    }

    const key = l.answer === null ? '0' : String(labels.indexOf(l.answer) + 1);
    await page.keyboard.press(key);
    const checked = await page.locator('.choice[aria-checked=true] .choice-label').textContent();
    expectEqual(checked, l.answer ?? 'None of these', `selection after pressing ${key}`);
    await page.keyboard.press('Enter');
    await waitFor(async () => {
      const r = await loupe.call('GET', `/v1/human-loops/${l.name}`);
      return r.status === 200 && r.body.HumanLoopStatus === 'Completed' ? r.body : null;
    }, `${l.name} Completed`);
  }
  await page.getByTestId('queue-empty').waitFor({ state: 'visible' });
  await waitFor(async () => (await page.getByTestId('stat-done-today').textContent()).startsWith('3'), 'done today = 3');
  await screenshot(page, 'review-empty-1280x800');
  expectEqual(page.dialogs, [], 'dialogs opened (the hostile label must not run script)');

  for (const l of loops) {
    const loop = await loupe.must('GET', `/v1/human-loops/${l.name}`);
    expectEqual(loop.ConsolidatedLabel ?? null, l.answer, `consolidated label of ${l.name}`);
  }
  // Filing (the shipped human-answer workflow): each image lands in its label folder once.
  for (const l of loops) {
    const folder = l.answer ?? '_none';
    await waitFor(async () => {
      const r = await loupe.must('GET', `/v1/objects?prefix=${encodeURIComponent(`images_labeled_by_folder/${folder}/`)}`);
      const hits = r.objects.filter((o) => o.key.includes(l.name));
      return hits.length === 1;
    }, `${l.image} filed once under images_labeled_by_folder/${folder}/`, 30000);
  }
});
