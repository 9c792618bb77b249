// Search as you type without a queue of searches: each search asked for takes the next number, at most
// MAX_IN_FLIGHT are on their way at once (a stale search is not aborted: the server would go on
// working on it all the same, so it is let finish and counted until it has), and an answer is shown
// only if no newer search was started meanwhile. So a stale answer never replaces newer results, an
// answer overtaken on its way costs no rendering while the newer one is awaited, the newest words are
// asked as soon as a search ends however fast the keys come, and the server never works on more than
// MAX_IN_FLIGHT searches of one page.

/** Searches of one page on their way at once: one for the words typed last, one for the words before. */
export const MAX_IN_FLIGHT = 2;

export interface Searches {
  /** Ask for the search as things are now (the query is read when the search starts). */
  want(): void;
  /** The number of the newest search asked for (0: none yet). */
  readonly latest: number;
  /** The number of the search whose answer is on screen (0: none yet). */
  readonly shown: number;
  /** Whether a search is on its way or waiting for one to end. */
  busy(): boolean;
  /** Drop every answer still on its way (the page is gone). */
  stop(): void;
}

/**
 * `ask()` runs one search (reading the query as things are then). `show` is called with the answer of
 * the newest search started, its number, and whether it is the newest asked for (no words typed since
 * are waiting for a search to end); `fail` with the failure of the newest search only.
 */
export function searches<T>(
  ask: () => Promise<T>,
  show: (answer: T, ticket: number, newest: boolean) => void,
  fail: (failure: unknown) => void,
): Searches {
  let latest = 0;
  let shown = 0;
  let inFlight = 0;
  let waiting = false;
  let stopped = false;

  const start = (): void => {
    if (!waiting || inFlight >= MAX_IN_FLIGHT || stopped) return;
    waiting = false;
    const ticket = ++latest;
    inFlight += 1;
    ask().then(
      (answer) => {
        if (stopped || ticket !== latest) return;
        shown = ticket;
        show(answer, ticket, ticket === latest && !waiting);
      },
      (failure: unknown) => {
        if (stopped || ticket !== latest || waiting) return;
        shown = ticket; // an older answer arriving later is not shown over the newest search's failure
        fail(failure);
      },
    ).finally(() => {
      inFlight -= 1;
      start();
    });
  };

  return {
    want(): void {
      waiting = true;
      start();
    },
    get latest(): number {
      return latest;
    },
    get shown(): number {
      return shown;
    },
    busy: () => waiting || inFlight > 0,
    stop(): void {
      stopped = true;
    },
  };
}
