import { stateMachine } from '#platform/state-machine.ts';

export type NoticeStatus = 'announced' | 'withdrawn';
export type NoticeAction = 'amend' | 'withdraw';

/** A notice is announced, amended while announced, and withdrawn (for good). */
export const noticeLifecycle = stateMachine<NoticeStatus, NoticeAction>('maintenance notice', {
  amend: { from: ['announced'], to: 'announced' },
  withdraw: { from: ['announced'], to: 'withdrawn' },
});
