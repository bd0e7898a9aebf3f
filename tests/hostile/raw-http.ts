import net from "node:net";

/** A response as it came off the wire. */
export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers keep every value. */
  headers: Map<string, string[]>;
  /** The body, de-chunked, as latin1 (byte for byte). */
  body: string;
}

/**
 * Sends one HTTP/1.1 request byte for byte and reads the answer. `fetch` and `http.request` refuse
 * header values with control characters or bytes that are not UTF-8; hostile clients do not.
 * `cookieHeader` is written as-is: a latin1 string (one character per byte) or a Buffer.
 */
export function rawRequest(
  baseUrl: string,
  options: { path: string; cookieHeader?: string | Buffer; method?: string; extraHeaders?: string },
): Promise<RawResponse> {
  const { port, hostname } = new URL(baseUrl);
  const head = Buffer.from(
    `${options.method ?? "GET"} ${options.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n${options.extraHeaders ?? ""}`,
    "latin1",
  );
  const cookie =
    options.cookieHeader === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([
          Buffer.from("Cookie: ", "latin1"),
          typeof options.cookieHeader === "string" ? Buffer.from(options.cookieHeader, "latin1") : options.cookieHeader,
          Buffer.from("\r\n", "latin1"),
        ]);
  const request = Buffer.concat([head, cookie, Buffer.from("\r\n", "latin1")]);

  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error("No answer within 20 s")));
    socket.on("data", (chunk) => chunks.push(chunk));
    // The server may close before reading a request it refuses; what it answered still counts.
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") return;
      reject(error);
    });
    socket.on("close", () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    // Not end(): Node's server aborts a request whose client half-closes before the answer.
    socket.write(request);
  });
}

function parseResponse(raw: Buffer): RawResponse {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`The server closed the connection without a complete answer (${raw.length} bytes)`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`Not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  let body = text.slice(end + 4);
  if (headers.get("transfer-encoding")?.some((value) => /chunked/i.test(value))) body = dechunk(body);
  return { status, headers, body };
}

function dechunk(body: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd < 0) return out;
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (!size) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
