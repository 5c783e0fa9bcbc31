// The dashboard header: source, time, rates, in-flight, lost, unmatched, clock, replay state.
import { Box, Text } from 'ink';
import { formatNs } from '../report/index.js';
import { describeFilter, type DashboardSnapshot } from './playback.js';
import { alertColor } from './theme.js';

/** Header lines. */
export function Header({ snap, elapsedMs }: { snap: DashboardSnapshot; elapsedMs: number }) {
  const all = snap.stats.all;
  const secs = snap.position / 1e9;
  const iops = secs > 0 ? all.total.count / secs : 0;
  const mbps = secs > 0 ? all.bytes / secs / 1048576 : 0;
  const state = snap.finished ? 'finished' : snap.paused ? 'PAUSED' : snap.live ? 'live' : snap.reading ? 'reading' : 'playing';
  const filter = describeFilter(snap.filter);
  return (
    <Box flexDirection="column">
      <Text bold>
        viotrace  {snap.source}  [{state} x{snap.speed >= 1 ? snap.speed : snap.speed.toFixed(2)}]{filter ? `  filter: ${filter}` : ''}
      </Text>
      <Text>
        elapsed {(elapsedMs / 1000).toFixed(1)}s  trace {formatNs(snap.position)}/{formatNs(snap.duration)}{snap.reading ? '+' : ''}  {iops.toFixed(0)} IOPS  {mbps.toFixed(1)} MiB/s  in flight {snap.inFlight}
      </Text>
      <Text>
        requests {all.total.count}  unmatched {snap.unmatched}  lost guest {snap.lost.guest} host {snap.lost.host}  clock {snap.clockOffsetNs === undefined ? 'n/a (one side)' : formatNs(snap.clockOffsetNs)}
      </Text>
      {snap.partialHistory !== undefined ? <Text color={alertColor('warning')}>filter and seek cover the newest {snap.partialHistory} requests (history limit)</Text> : null}
      {snap.problem ? <Text color={alertColor('error')}>{snap.problem}</Text> : null}
    </Box>
  );
}
