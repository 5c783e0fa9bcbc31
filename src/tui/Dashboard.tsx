// The dashboard: header, one main view (stages, histogram, slowest), keys; renders at most 10 times a second.
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import { Header } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { HistogramView } from './HistogramView.js';
import { parseFilter, type Playback } from './playback.js';
import { alertColor } from './theme.js';
import { SlowestView } from './SlowestView.js';
import { StageBreakdown } from './StageBreakdown.js';

/** The views `tab` cycles through. */
export const VIEWS = ['stages', 'histogram', 'slowest'] as const;
type View = (typeof VIEWS)[number];

/** Frame interval: 10 frames per second at most. Advancing the playback (the aggregation) happens on this timer, not in render. */
export const FRAME_MS = 100;

/** Props: the playback to show; `tick` false leaves time frozen (tests drive it). */
export interface DashboardProps {
  playback: Playback;
  tick?: boolean;
}

/** Keys are read only when stdin is a terminal (Ink cannot enter raw mode otherwise). */
function Keys({ onKey }: { onKey: (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]) => void }) {
  useInput(onKey);
  return null;
}

/** The dashboard component. */
export function Dashboard({ playback, tick = true }: DashboardProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const [, setFrame] = useState(0);
  const [started] = useState(() => Date.now());
  const [view, setView] = useState<View>('stages');
  const [stageSel, setStageSel] = useState(0);
  const [reqSel, setReqSel] = useState(0);
  const [expanded, setExpanded] = useState(false);
  const [help, setHelp] = useState(false);
  const [sortByShare, setSortByShare] = useState(false);
  const [sortByStart, setSortByStart] = useState(false);
  const [filterText, setFilterText] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState('');
  const redraw = () => setFrame((f) => f + 1);

  useEffect(() => {
    if (!tick) return;
    let last = Date.now();
    const id = setInterval(() => {
      const now = Date.now();
      playback.advance((now - last) * 1e6);
      last = now;
      redraw();
    }, FRAME_MS);
    return () => clearInterval(id);
  }, [playback, tick]);

  const snap = playback.snapshot();
  let stages = snap.stats.all.stageSummaries();
  if (sortByShare) stages = [...stages].sort((a, b) => b.share - a.share);
  let slowest = snap.slowest;
  if (sortByStart) slowest = [...slowest].sort((a, b) => a.start - b.start);
  const width = stdout?.columns ?? 80;
  const height = stdout?.rows ?? 24;
  const bodyRows = Math.max(4, height - 8);

  const onKey: Parameters<typeof useInput>[0] = (input, key) => {
    if (filterText !== undefined) {
      if (key.return) {
        try {
          playback.setFilter(parseFilter(filterText));
          setMessage('');
        } catch (e) {
          setMessage((e as Error).message);
        }
        setFilterText(undefined);
      } else if (key.escape) setFilterText(undefined);
      else if (key.backspace || key.delete) setFilterText(filterText.slice(0, -1));
      else setFilterText(filterText + input);
      return redraw();
    }
    if (help) {
      if (input === '?' || key.escape || input === 'q') setHelp(false);
      return redraw();
    }
    if (input === 'q' || (key.ctrl && input === 'c')) return exit();
    if (input === '?') setHelp(true);
    else if (input === 'p') playback.paused = !playback.paused;
    else if (key.tab) setView(VIEWS[(VIEWS.indexOf(view) + 1) % VIEWS.length]);
    else if (key.upArrow) view === 'slowest' ? setReqSel(Math.max(0, reqSel - 1)) : setStageSel(Math.max(0, stageSel - 1));
    else if (key.downArrow) view === 'slowest' ? setReqSel(Math.min(slowest.length - 1, reqSel + 1)) : setStageSel(Math.min(stages.length - 1, stageSel + 1));
    else if (key.return) setExpanded(!expanded);
    else if (input === '/') setFilterText('');
    else if (input === 's') view === 'slowest' ? setSortByStart(!sortByStart) : setSortByShare(!sortByShare);
    else if (input === '+' || input === '=') playback.scaleSpeed(2);
    else if (input === '-') playback.scaleSpeed(0.5);
    else if (key.rightArrow) playback.seekTo(playback.destination + snap.duration / 10);
    else if (key.leftArrow) playback.seekTo(playback.destination - snap.duration / 10);
    redraw();
  };

  const selectedStage = stages[stageSel];
  return (
    <Box flexDirection="column" width={width}>
      {isRawModeSupported && <Keys onKey={onKey} />}
      <Header snap={snap} elapsedMs={Date.now() - started} />
      <Text dimColor>
        view: {VIEWS.map((v) => (v === view ? `[${v}]` : v)).join(' ')}   ? help
      </Text>
      {help ? (
        <HelpOverlay />
      ) : view === 'stages' ? (
        <StageBreakdown stages={stages} selected={stageSel} width={width} />
      ) : view === 'histogram' ? (
        <HistogramView
          title={selectedStage ? selectedStage.name : 'total'}
          hist={selectedStage ? snap.stats.all.stages.get(selectedStage.name) : snap.stats.all.total}
          width={width}
          rows={bodyRows - 2}
        />
      ) : (
        <SlowestView paths={slowest} selected={Math.min(reqSel, Math.max(0, slowest.length - 1))} expanded={expanded} width={width} rows={expanded ? Math.max(1, bodyRows - 14) : bodyRows - 1} />
      )}
      {filterText !== undefined && <Text>filter: {filterText}_</Text>}
      {message && <Text color={alertColor('error')}>{message}</Text>}
    </Box>
  );
}
