import { Text, Timeline as MTimeline } from '@mantine/core';
import { when } from '../format.ts';
import { useI18n, useLabel } from '../i18n.tsx';
import type { Timeline } from '../types.ts';

/** Every step of a consignment, oldest first, with who did it in what role. */
export function TimelineView({ timeline }: { timeline: Timeline }) {
  const { lang } = useI18n();
  const label = useLabel();
  return (
    <MTimeline active={timeline.events.length - 1} bulletSize={14} lineWidth={2} data-testid="timeline">
      {timeline.events.map((e, i) => (
        <MTimeline.Item key={i} title={label('action', e.action)} data-action={e.action}>
          <Text size="xs" c="dimmed">
            {when(e.at, lang)} · {e.actor.name} ({label('role', e.actor.role)}){e.declaration ? ` · ${e.declaration}` : ''}
          </Text>
          {e.reason && <Text size="sm">{e.reason}</Text>}
        </MTimeline.Item>
      ))}
    </MTimeline>
  );
}
