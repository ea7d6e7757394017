// The tiles, virtualised: only the rows on screen are in the DOM, so a bench (or a replay) of
// 10,000 devices scrolls and updates as smoothly as one of four. Columns follow the width.
import { Box } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { SlotState } from '../../../shared/contract';
import { SlotTile } from './SlotTile';

const TILE_MIN_WIDTH = 260;
const GAP = 10;
const ROW_ESTIMATE = 200;

export function BenchGrid({
  slots,
  onRetry,
  pausing = false,
}: {
  slots: readonly SlotState[];
  onRetry: ((port: string) => void) | undefined;
  /** The batch is paused: tiles still working say "Pausing…" until they reach their step's door. */
  pausing?: boolean;
}) {
  const { ref: sizeRef, width } = useElementSize();
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const columns = Math.max(1, Math.floor((width + GAP) / (TILE_MIN_WIDTH + GAP)));
  const rows = Math.ceil(slots.length / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 2,
    gap: GAP,
  });
  return (
    <Box ref={sizeRef}>
      <Box
        ref={scrollRef}
        data-testid="bench"
        data-slot-count={slots.length}
        style={{ height: 'calc(100dvh - 300px)', minHeight: 260, overflowY: 'auto', contain: 'strict' }}
        tabIndex={0}
        aria-label={`${slots.length} slots`}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => (
            <div
              key={row.key}
              data-index={row.index}
              ref={virtualizer.measureElement}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                width: '100%',
                transform: `translateY(${row.start}px)`,
                display: 'grid',
                gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
                gap: GAP,
              }}
            >
              {slots.slice(row.index * columns, row.index * columns + columns).map((slot) => (
                <SlotTile key={slot.port} slot={slot} onRetry={onRetry} pausing={pausing} />
              ))}
            </div>
          ))}
        </div>
      </Box>
    </Box>
  );
}
