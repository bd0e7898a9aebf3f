/** "1 time", "2 times". */
export function timesOf(count: number): string {
  return `${count} ${count === 1 ? "time" : "times"}`;
}
