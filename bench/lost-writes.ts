import { Browser } from "../harness/browser";

import { COOKIE_NAME } from "./constants";

/** Writes made and kept when K clients of one session write at the same moment. */
export interface LostWritesResult {
  /** Clients writing at once, each its own key. */
  clients: number;
  /** Rounds of K parallel writes. */
  rounds: number;
  /** Writes the server answered 200 to. */
  made: number;
  /** Of those, keys the session holds afterwards. */
  kept: number;
  /** Keys kept in each round. */
  keptPerRound: number[];
}

/**
 * K clients share one session (one browser's cookie jar, as tabs and parallel fetchers do) and
 * each writes its own key through GET /lab/mark/<key>, all requests sent before any answer comes
 * back. The jar keeps whichever Set-Cookie arrives last, as a browser does. After each round the
 * session is read back and the round's keys are counted. With several `baseUrls` (processes
 * sharing one store, as behind a load balancer) the requests go to them in turns.
 */
export async function measureLostWrites(
  baseUrls: string[],
  clients: number,
  rounds: number,
): Promise<LostWritesResult> {
  if (baseUrls.length === 0) throw new Error("measureLostWrites needs at least one server");
  const [baseUrl] = baseUrls;
  const browser = new Browser(baseUrl);
  await expectOk(browser.fetch("/lab/mark/owner"), "creating the shared session");
  if (!browser.cookie(COOKIE_NAME)) throw new Error(`${baseUrl} set no session cookie on its first write`);

  let made = 0;
  const keptPerRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const keys = Array.from({ length: clients }, (_, index) => `k${clients}-r${round}-c${index}`);
    // Every fetch is issued in this tick, so every request carries the cookie the jar held before the round.
    const writes = keys.map((key, index) => `${baseUrls[index % baseUrls.length]}/lab/mark/${key}`);
    await Promise.all(writes.map((url) => expectOk(browser.fetch(url), `writing ${url}`)));
    made += keys.length;
    const data = await browser.sessionData();
    keptPerRound.push(keys.filter((key) => `mark:${key}` in data).length);
  }
  const kept = keptPerRound.reduce((sum, count) => sum + count, 0);
  return { clients, rounds, made, kept, keptPerRound };
}

async function expectOk(pending: Promise<Response>, what: string): Promise<void> {
  const response = await pending;
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${body.slice(0, 200)}`);
}
