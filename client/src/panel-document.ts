// The HTML of every panel, as plain text from plain values, so the browser
// tests load exactly what VS Code loads: a strict Content-Security-Policy
// (scripts only with this page's nonce; styles, images and fonts only from
// the extension's own media folder), local assets only.

export interface PanelDocument {
  title: string;
  /** The origin the webview serves local resources from (`webview.cspSource`). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: string[];
}

export function panelDocument(page: PanelDocument): string {
  const csp = [
    "default-src 'none'",
    `style-src ${page.cspSource}`,
    `img-src ${page.cspSource} data:`,
    `font-src ${page.cspSource}`,
    `script-src 'nonce-${page.nonce}'`,
  ].join("; ");
  const styles = page.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeHtml(uri)}">`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<div id="root"><p class="empty">Waiting for the language server…</p></div>
<script nonce="${page.nonce}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
