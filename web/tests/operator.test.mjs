// Issue 7: one browser test per operator page (parameters, models, executions, dataset,
// notifications), each with a screenshot in the test-artifacts directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, expectEqual, login, newPage, patternPng, png, screenshot, test, waitFor, writeFile } from './harness.mjs';

async function asAdmin(loupe, browser, path, viewport) {
  const { page } = await newPage(browser, loupe, viewport);
  await login(page, 'admin', loupe.adminPassword);
  await page.goto(path);
  return { page };
}

test('parameters: an invalid value shows the server message inline, a valid one lands in history', async ({ loupe, browser }) => {
  const { page } = await asAdmin(loupe, browser, '/parameters');
  const forms = page.locator('form.param');
  await forms.first().waitFor();
  expectEqual(await forms.count(), 7, 'parameters listed (System-State is hidden)');
  const f1 = page.locator('form[data-param="Minimum-F1-Score"]');
  const input = f1.getByLabel('Minimum-F1-Score');
  // What the server says about 1.5 (the page must show exactly this next to the field).
  const refused = await loupe.call('PUT', '/v1/parameters/Minimum-F1-Score', { value: 1.5 });
  expectEqual(refused.status, 400, 'API status for Minimum-F1-Score = 1.5');
  await input.fill('1.5');
  await f1.getByRole('button', { name: 'Save' }).click();
  const error = f1.locator('.field-error');
  await waitFor(async () => (await error.textContent()) !== '', 'an inline error');
  expectEqual(await error.textContent(), refused.body.error.message, 'inline error text');
  expectEqual(await input.getAttribute('aria-invalid'), 'true', 'field marked invalid');
  await screenshot(page, 'parameters-invalid', true);

  await input.fill('0.85');
  await f1.getByRole('button', { name: 'Save' }).click();
  await waitFor(async () => (await f1.locator('.current').textContent()) === '0.85', 'current value 0.85');
  expectEqual(await error.textContent(), '', 'inline error cleared');
  await f1.getByRole('button', { name: 'History' }).click();
  const rows = f1.locator('.history tbody tr');
  await waitFor(async () => (await rows.count()) >= 2, 'two history rows');
  const newest = await rows.first().locator('td').allTextContents();
  expectEqual([newest[0], newest[1], newest[2], newest[4]], ['v2', '0.85', '0.8', 'admin'], 'newest history row (version, value, was, who)');
  await screenshot(page, 'parameters-history', true);
});

test('models: a version shows its metrics and confusion matrix; deploy and rollback go through a confirmation', async ({ loupe, browser }) => {
  // A tiny model trained offline by `loupe train` (as tests/e2e/serving_e2e_test.cc does).
  const dataset = join(loupe.dir, 'dataset');
  for (let i = 0; i < 8; i++) {
    writeFile(join(dataset, 'disc', `d${i}.png`), patternPng(true, 100 + i));
    writeFile(join(dataset, 'stripes', `s${i}.png`), patternPng(false, 200 + i));
  }
  const model = join(loupe.dir, 'model');
  loupe.cli(['train', '--dataset', dataset, '--out', model, '--quiet']);
  for (const f of readdirSync(model)) {
    await loupe.must('PUT', `/v1/objects/uploads/web-model/${f}`, readFileSync(join(model, f)), [200]);
  }
  const v = await loupe.must('POST', '/v1/models', { source_prefix: 'uploads/web-model/' }, [201]);
  const evaluation = await loupe.must('GET', `/v1/models/${v.version}/evaluation`);

  const { page } = await asAdmin(loupe, browser, '/models');
  const row = page.locator(`#versions tr[data-version="${v.version}"]`);
  await row.waitFor();
  expectEqual(await row.locator('.pill').textContent(), 'TRAINING_COMPLETED', 'status pill');
  await page.locator('svg.chart .point').first().waitFor();
  await screenshot(page, 'models-list', true);

  await row.getByRole('link', { name: v.version }).click();
  await page.getByTestId('metric-f1').waitFor();
  const f1 = await page.locator('[data-testid=metric-f1] .metric-value').textContent();
  expectEqual(f1, `${(evaluation.MacroF1 * 100).toFixed(1)} %`, 'macro F1 card');
  const labels = await page.locator('#per-label tbody tr td:first-child').allTextContents();
  expectEqual(labels, evaluation.PerLabel.map((m) => m.Name), 'per-label rows');
  const cells = await page.locator('svg.heatmap rect.cell').count();
  expectEqual(cells, (evaluation.Labels.length + 1) ** 2, 'confusion-matrix cells');
  await screenshot(page, 'models-version', true);

  await page.getByRole('button', { name: 'Deploy to production' }).click();
  const dialog = page.locator('dialog.confirm');
  await dialog.waitFor();
  expect((await dialog.textContent()).includes(`Deploy ${v.version}?`), 'confirmation names the version');
  await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
  await waitFor(async () => (await page.locator('.facts .pill').first().textContent()) === 'RUNNING', 'RUNNING after deploy', 60000);
  const prod = await loupe.must('GET', '/v1/endpoints/production');
  expectEqual(prod.version, v.version, 'production version after deploying from the console');

  // A second version takes over; rolling back from the console returns production to the first.
  const v2 = await loupe.must('POST', '/v1/models', { source_prefix: 'uploads/web-model/' }, [201]);
  await loupe.must('POST', `/v1/models/${v2.version}/deploy`, {});
  await page.goto('/models');
  await page.getByTestId('production').getByRole('link', { name: v2.version }).waitFor();
  await page.getByRole('button', { name: 'Roll back production' }).click();
  const confirm = page.locator('dialog.confirm');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  expectEqual((await loupe.must('GET', '/v1/endpoints/production')).version, v2.version, 'production after cancelling the rollback');
  await page.getByRole('button', { name: 'Roll back production' }).click();
  await confirm.getByRole('button', { name: 'Roll back' }).click();
  await page.getByTestId('production').getByRole('link', { name: v.version }).waitFor({ timeout: 60000 });
  expectEqual((await loupe.must('GET', '/v1/endpoints/production')).version, v.version, 'production after rolling back from the console');
  await screenshot(page, 'models-after-rollback', true);
});

test('executions: list, and one execution drawn as a state-machine diagram', async ({ loupe, browser }) => {
  // Parameter changes (the parameters test) start the shipped parameter-change workflow.
  await loupe.must('PUT', '/v1/parameters/Minimum-Untrained-Images', { value: 12 });
  const list = await waitFor(async () => {
    const r = await loupe.must('GET', '/v1/executions?limit=50');
    return r.executions.length ? r.executions : null;
  }, 'an execution (a shipped state machine started by a parameter change)');
  const e = list[0];
  const machine = await loupe.must('GET', `/v1/state-machines/${encodeURIComponent(e.state_machine)}`);

  const { page } = await asAdmin(loupe, browser, '/executions');
  const row = page.locator('#executions tbody tr').filter({ hasText: e.name });
  await row.first().waitFor();
  await page.locator('#filter-status').selectOption('FAILED');
  await waitFor(async () => new URL(page.url()).search.includes('status=FAILED'), 'status filter in the URL');
  await page.locator('#filter-status').selectOption('');
  await screenshot(page, 'executions-list', true);
  await page.goto(`/executions/${encodeURIComponent(e.id)}`);
  const states = page.locator('svg.asl g.state');
  await states.first().waitFor();
  expectEqual(await states.count(), Object.keys(machine.definition.States).length, 'states drawn');
  const start = await page.locator(`svg.asl g.state[data-state="${machine.definition.StartAt}"]`).count();
  expectEqual(start, 1, 'the StartAt state is drawn');
  expect((await page.locator('svg.asl g.edge').count()) >= Object.keys(machine.definition.States).length - 1, 'transitions drawn');
  expect((await page.locator('svg.asl g.state.visited').count()) >= 1, 'visited states highlighted');
  expect((await page.locator('#history li').count()) >= 2, 'history events listed');
  await screenshot(page, 'execution-diagram', true);
});

test('dataset: counts per label match the API', async ({ loupe, browser }) => {
  for (let i = 0; i < 3; i++) {
    const bytes = png(96, 96, (x, y) => [(x * 7 + i * 50) % 256, (y * 5) % 256, 90]);
    await loupe.must('PUT', `/v1/objects/images_labeled_by_folder/initech/i${i}.png`, bytes, [200]);
  }
  const d = await loupe.must('GET', '/v1/dataset');
  const initech = d.Labels.find((l) => l.Name === 'initech');
  expect(initech && initech.Images === 3, `API counts 3 initech images: ${JSON.stringify(d)}`);

  const { page } = await asAdmin(loupe, browser, '/dataset');
  await page.getByTestId('dataset-total').waitFor();
  expectEqual(await page.locator('[data-testid=dataset-total] .metric-value').textContent(), String(d.Total), 'total');
  expectEqual(await page.locator('[data-testid=dataset-untrained] .metric-value').textContent(), String(d.Untrained), 'untrained');
  const cells = await page.locator('#labels tr[data-label="initech"] td').allTextContents();
  expectEqual(cells.slice(0, 2), ['initech', '3'], 'initech row');
  await page.locator('h2', { hasText: 'Recently labelled by reviewers' }).waitFor();
  await screenshot(page, 'dataset', true);
});

test('notifications: the feed shows messages and receives new ones live', async ({ loupe, browser }) => {
  await loupe.must('POST', '/v1/notifications', {
    Topic: 'operator',
    Type: 'Deployed',
    Subject: 'web test: v1 serves production',
    MessageId: 'web-test-1',
  }, [200, 201]);
  const { page } = await asAdmin(loupe, browser, '/notifications');
  await page.locator('#feed .feed-subject', { hasText: 'web test: v1 serves production' }).waitFor();
  await waitFor(async () => (await page.locator('.live').getAttribute('data-state')) === 'live', 'the live stream connected');
  await loupe.must('POST', '/v1/notifications', {
    Topic: 'operator',
    Type: 'TrainingFailed',
    Subject: 'web test: <b>not bold</b> arrives live',
    MessageId: 'web-test-2',
  }, [200, 201]);
  const first = page.locator('#feed .feed-item').first();
  await waitFor(async () => (await first.locator('.feed-subject').textContent()) === 'web test: <b>not bold</b> arrives live', 'the live message at the top of the feed');
  expectEqual(await page.locator('#feed b').count(), 0, 'markup from a message subject');
  await page.locator('h2', { hasText: 'Dead letters' }).waitFor();
  await screenshot(page, 'notifications', true);
});

test('session: a reload keeps it, a deep link survives signing in, roles limit pages, sign-out ends it', async ({ loupe, browser }) => {
  const { page } = await newPage(browser, loupe);
  await page.goto('/executions?status=SUCCEEDED');
  await page.getByLabel('User name').waitFor();
  expectEqual(new URL(page.url()).pathname, '/login', 'signed out, a page asks to sign in');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(loupe.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasText: 'Executions' }).waitFor();
  expectEqual(new URL(page.url()).searchParams.get('status'), 'SUCCEEDED', 'the deep link after signing in');
  expectEqual(await page.locator('#filter-status').inputValue(), 'SUCCEEDED', 'status filter from the deep link');
  await page.reload();
  await page.locator('.topbar .user-name').waitFor();
  expectEqual(await page.locator('.topbar .user-name').textContent(), 'admin', 'user after a reload (GET /v1/auth/me)');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User name').waitFor();
  const me = await page.evaluate(async () => (await fetch('/v1/auth/me')).status);
  expectEqual(me, 401, 'GET /v1/auth/me after signing out');

  // A wrong password is reported, not swallowed.
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitFor(async () => (await page.locator('#login-error').textContent()) !== '', 'a sign-in error');

  // A reviewer sees only Review, and an operator page says so instead of failing.
  await loupe.createUser('rex', 'reviewer', 'rex-password-1');
  await login(page, 'rex', 'rex-password-1');
  await page.goto('/parameters');
  await page.locator('h1', { hasText: 'Not available' }).waitFor();
  expectEqual(await page.locator('.topbar nav a').allTextContents(), ['Review'], 'reviewer navigation');
});
