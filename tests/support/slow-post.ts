import fs from "node:fs";
import http from "node:http";

/** A form post whose body is held back: the route's action is running and waits for the rest. */
export interface SlowPost {
  /** Sends the rest of the body and resolves with the answer. */
  finish(): Promise<Response>;
  /** Drops the connection (cleanup after a failed test). */
  abort(): void;
}

/**
 * Padding sent ahead of the form fields. Once the client has handed all of it to the kernel, more
 * than the socket buffers of both sides can hold went through, so the server's action must be
 * reading the body: the request read its session before that. (Linux autotunes loopback buffers up
 * to tcp_rmem/tcp_wmem's maximum; elsewhere the defaults are a few MB.)
 */
function paddingBytes(): number {
  const max = (file: string) => {
    try {
      return Number(fs.readFileSync(file, "utf8").trim().split(/\s+/).pop()) || 0;
    } catch {
      return 0;
    }
  };
  const buffers = max("/proc/sys/net/ipv4/tcp_rmem") + max("/proc/sys/net/ipv4/tcp_wmem");
  return Math.max(16 * 1024 * 1024, buffers + 4 * 1024 * 1024);
}

const PADDING = paddingBytes();

/**
 * Starts `POST path` (application/x-www-form-urlencoded, same-origin `Origin`) and resolves once
 * the server's action is reading its body, i.e. after the request read its session and before its
 * commit. The form fields are held back until `finish()`. The form gets an extra `pad` field.
 */
export function startSlowPost(
  baseUrl: string,
  path: string,
  options: { cookie?: string; form: Record<string, string>; timeoutMs?: number },
): Promise<SlowPost> {
  const { cookie, form, timeoutMs = 20_000 } = options;
  const head = Buffer.from("pad=");
  const padding = Buffer.alloc(PADDING, "x");
  const rest = Buffer.from(`&${new URLSearchParams(form)}`);
  const url = new URL(path, baseUrl);

  const request = http.request(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": String(head.length + padding.length + rest.length),
      Origin: new URL(baseUrl).origin,
      ...(cookie ? { Cookie: cookie } : {}),
    },
  });

  const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  // Reported by started or finish(), whichever is waiting.
  answered.catch(() => {});

  const response = answered.then(async (incoming) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
      headers.append(incoming.rawHeaders[i], incoming.rawHeaders[i + 1]);
    }
    const status = incoming.statusCode ?? 0;
    const body = [101, 103, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
    return new Response(body, { status, statusText: incoming.statusMessage, headers });
  });
  response.catch(() => {});

  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`POST ${path}: the server did not start reading the body within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    request.once("drain", () => done());
    // An early answer (403, 503, ...) means the action never ran: the race did not happen.
    answered.then(
      (incoming) => done(new Error(`POST ${path} was answered ${incoming.statusCode} before its body was read`)),
      (error: Error) => done(error),
    );
    request.write(head);
    if (request.write(padding)) {
      done(new Error("The padding fit in the client's buffer: raise PADDING"));
    }
  });

  return started.then(() => ({
    async finish() {
      request.end(rest);
      return response;
    },
    abort() {
      request.destroy();
    },
  }));
}
