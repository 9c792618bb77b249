// Search as you type without a queue of searches. Each search takes the next number; at most
// MAX_IN_FLIGHT are on their way at once (a stale search is not aborted: the server would go on working
// on it all the same, so it is let finish, and counted until it has); and an answer is shown only if
// no newer search was started or asked for meanwhile. So an answer to older words never replaces the
// results of newer ones; an answer overtaken while the keys still come costs no rendering just when
// the newer answer is due; the newest words are asked as soon as a search ends, however fast the keys
// come (the words typed in between are skipped); and the server never works on more than
// MAX_IN_FLIGHT searches of one page.

/** Searches of one page on their way at once: one for the words typed last, one for the words before. */
export const MAX_IN_FLIGHT = 2;

export interface Searches {
  /** Ask for the search as things will be `after` ms from now (a newer call starts the wait over);
   * the query is read when the search starts. */
  want(after?: number): void;
  /** The number of the newest search started (0: none yet). */
  readonly latest: number;
  /** The number of the search whose answer is on screen (0: none yet). */
  readonly shown: number;
  /** Whether the search numbered `ticket` is the newest, nothing newer asked for (its answer is, or
   * will be, what is on screen; what belongs with it may be shown). */
  current(ticket: number): boolean;
  /** Drop every answer still on its way (the page is gone). */
  stop(): void;
}

/**
 * `ask()` runs one search (reading the query as things are then). `show` is called with the answer of
 * the newest search when nothing newer was asked for meanwhile, with its number; `fail` likewise with
 * a failure.
 */
export function searches<T>(
  ask: () => Promise<T>,
  show: (answer: T, ticket: number) => void,
  fail: (failure: unknown) => void,
): Searches {
  let latest = 0;
  let shown = 0;
  let inFlight = 0;
  let waiting = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const current = (ticket: number): boolean => !stopped && ticket === latest && !waiting;

  const start = (): void => {
    if (!waiting || timer !== undefined || inFlight >= MAX_IN_FLIGHT || stopped) return;
    waiting = false;
    const ticket = ++latest;
    inFlight += 1;
    ask()
      .then(
        (answer) => {
          if (!current(ticket)) return;
          shown = ticket;
          show(answer, ticket);
        },
        (failure: unknown) => {
          if (!current(ticket)) return;
          shown = ticket;
          fail(failure);
        },
      )
      .finally(() => {
        inFlight -= 1;
        start();
      });
  };

  return {
    want(after = 0): void {
      waiting = true;
      clearTimeout(timer);
      timer = undefined;
      if (after > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          start();
        }, after);
      } else start();
    },
    get latest(): number {
      return latest;
    },
    get shown(): number {
      return shown;
    },
    current,
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
