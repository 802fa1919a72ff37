// Overdue movements are flagged on a tick, not only when someone reads movements or alerts: a
// movement that never turns up is in the officers' queue within TRANSIT_OVERDUE_SWEEP_SECONDS of
// its deadline. Like the outbox worker's poll: one sweep at a time in this process (a tick while
// one runs is skipped), safe beside other processes' sweeps (a movement is flagged once), and the
// timer never keeps the process alive.
export interface SweeperLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OverdueSweeper {
  start(): void;
  /** Stops the tick and waits for a sweep in hand. */
  stop(): Promise<void>;
}

export function overdueSweeper(sweep: () => Promise<number>, options: { intervalSeconds: number; log: SweeperLog }): OverdueSweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) {
      return;
    }
    running = sweep()
      .then((flagged) => {
        if (flagged > 0) {
          options.log.info({ flagged }, 'transit movements flagged overdue');
        }
      })
      .catch((err: unknown) => options.log.warn({ err }, 'overdue sweep failed; the next tick tries again'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      if (options.intervalSeconds === 0 || timer) {
        return;
      }
      timer = setInterval(tick, options.intervalSeconds * 1000);
      timer.unref();
    },
    async stop() {
      if (timer) {
        clearInterval(timer);
        timer = undefined;
      }
      await running;
    },
  };
}
