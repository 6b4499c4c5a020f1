'use strict';
// memlab (a dev dependency, used only by bench/snapshot.js as the reference
// parser) depends on puppeteer, whose install step downloads a browser. The
// analyzer never needs a browser, so skip the download (it would fail offline).
module.exports = { skipDownload: true, chrome: { skipDownload: true }, 'chrome-headless-shell': { skipDownload: true }, firefox: { skipDownload: true } };
