// The data preview in a real VS Code: Fashion-MNIST's splits and its first
// images, drawn, from the data declaration's code lens command.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openFile, runCommand, screenshot, webviewFrames } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

let session: EditorSession;

before(async () => {
  session = await openEditorSession({
    "fashion.optim": 'data images = idx("/usr/share/datasets/fashion-mnist") { train 59000, val 1000; scale 1/255; center; bias_trick }\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n',
  });
});

after(async () => {
  await session?.close();
});

test("Preview Data shows the splits and draws the first images", async () => {
  const { page } = session;
  await openFile(page, "fashion.optim", { language: "Optim" });
  await runCommand(page, "Optim: Preview Data");
  const deadline = Date.now() + 60_000;
  let drawn = { canvases: 0, lit: 0, text: "" };
  while (Date.now() < deadline) {
    for (const frame of await webviewFrames(page)) {
      drawn = await frame
        .evaluate(() => {
          const canvases = Array.from(document.querySelectorAll("canvas"));
          // A drawn image has pixels that are not black.
          const lit = canvases.filter((canvas) => {
            const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
            for (let i = 0; i < data.length; i += 4) if (data[i] > 0) return true;
            return false;
          }).length;
          return { canvases: canvases.length, lit, text: document.body.innerText };
        })
        .catch(() => drawn);
      if (drawn.canvases > 0) break;
    }
    if (drawn.canvases > 0) break;
    await page.waitForTimeout(500);
  }
  await screenshot(page, "data-preview");
  assert.equal(drawn.canvases, 24);
  assert.equal(drawn.lit, 24);
  assert.match(drawn.text, /train\s+59,000\s+785\s+10/);
  assert.match(drawn.text, /test\s+10,000\s+785\s+10/);
  assert.match(drawn.text, /Examples per class in train:/);
});
