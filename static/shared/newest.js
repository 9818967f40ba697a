// Only the newest load draws. A page reloads its list after each save; two saves close
// together put two loads in flight, and their answers can come back in either order. Drawing
// whichever comes last shows the older state over the newer one (a rule just turned off shown
// on again), so a load's answer is dropped once a newer load has started.

/** What a superseded call resolves to: its caller draws nothing. */
export const STALE = Symbol('stale');

/**
 * Wraps an async fetch: each call resolves to the fetch's answer, or to STALE when another
 * call started after it. A superseded call's error is dropped too (the newer call reports).
 * @template T
 * @param {(...args: any[]) => Promise<T>} fetcher
 * @returns {(...args: any[]) => Promise<T | typeof STALE>}
 */
export function newestOnly(fetcher) {
  let started = 0;
  return async (...args) => {
    const mine = ++started;
    try {
      const answer = await fetcher(...args);
      return mine === started ? answer : STALE;
    } catch (err) {
      if (mine !== started) return STALE;
      throw err;
    }
  };
}
