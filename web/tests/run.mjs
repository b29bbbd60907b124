// Runs every browser test of the console against one `loupe serve` and one headless Chromium.
// CTest: web_console (env LOUPE_BIN, LOUPE_WEB_DIR, LOUPE_ARTIFACTS_DIR). WEB_TEST_FILTER=regex
// runs a subset.
import { run } from './harness.mjs';
import './review.test.mjs';
import './operator.test.mjs';

await run();
