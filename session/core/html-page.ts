// No imports: the session layer's error pages and the server's configuration page share it.

/** A small self-contained HTML page: a title, a paragraph, and optionally a link to try again. */
export function htmlPage(title: string, detail: string, options: { retry?: boolean } = {}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1e293b">
<h1 style="font-size:1.5rem">${escapeHtml(title)}</h1>
<p>${escapeHtml(detail)}</p>
${options.retry ? '<p><a href="">Try again</a></p>\n' : ""}</body>
</html>`;
}

/** `text` safe inside HTML text and quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
