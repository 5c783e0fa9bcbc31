// The dashboard: header, one main view (stages, histogram, slowest), keys; fitted to the terminal, rendered at most 10 times a second.
import { Box, Text, useApp, useInput, useStdin } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Header, headerLines, type HeaderLine } from './Header.js';
import { HelpOverlay } from './HelpOverlay.js';
import { HistogramView } from './HistogramView.js';
import { keysOf, type KeyPress } from './keys.js';
import { fit, fitTail } from './layout.js';
import { parseFilter, type DashboardSnapshot, type Playback } from './playback.js';
import { alertColor } from './theme.js';
import { SlowestView } from './SlowestView.js';
import { StageBreakdown, stageRows } from './StageBreakdown.js';
import { useTerminalSize } from './terminal.js';

/** The views `tab` cycles through. */
export const VIEWS = ['stages', 'histogram', 'slowest'] as const;
type View = (typeof VIEWS)[number];

/** Frame interval: 10 frames per second at most. Advancing the playback (the aggregation) happens on this timer, not in render. */
export const FRAME_MS = 100;

/** Rows of the main view below which the header is cut to a line a group rather than packed. */
const MIN_BODY_ROWS = 6;

/**
 * The header's lines and the rows left for the main view in a terminal of `width` x `height`, with
 * `notes` lines (prompt, message) below the view and the view line above it. The frame stays a row
 * short of the terminal: one as tall makes Ink clear the screen every frame.
 */
function frameRows(snap: DashboardSnapshot, elapsedMs: number, width: number, height: number, notes: number): { header: HeaderLine[]; bodyRows: number } {
  const rows = Math.max(1, height - 1);
  let header = headerLines(snap, elapsedMs, width);
  // Few rows: the header keeps to a line a group, so the view keeps some.
  if (rows - header.length - 1 - notes < MIN_BODY_ROWS) header = headerLines(snap, elapsedMs, width, true);
  header = header.slice(0, Math.max(1, rows - 1 - notes));
  return { header, bodyRows: Math.max(0, rows - header.length - 1 - notes) };
}

/** Props: the playback to show; `tick` false leaves time frozen (tests drive it). */
export interface DashboardProps {
  playback: Playback;
  tick?: boolean;
}

/** Keys are read only when stdin is a terminal (Ink cannot enter raw mode otherwise). */
function Keys({ onKey }: { onKey: (press: KeyPress) => void }) {
  useInput((input, key) => {
    for (const k of keysOf(input, key)) onKey(k);
  });
  return null;
}

/** What the keys set, apart from the playback. */
interface Controls {
  view: View;
  stageSel: number;
  reqSel: number;
  expanded: boolean;
  help: boolean;
  sortByShare: boolean;
  sortByStart: boolean;
  /** The filter being typed (the prompt is open while set). */
  filterText: string | undefined;
  message: string;
}

const INITIAL_CONTROLS: Controls = { view: 'stages', stageSel: 0, reqSel: 0, expanded: false, help: false, sortByShare: false, sortByStart: false, filterText: undefined, message: '' };

/**
 * The controls, held where each key sees the one before it: keys read at once are handled before
 * React renders again, so a key that read state from the last render would undo its predecessor.
 */
function useControls(): [() => Controls, (change: Partial<Controls>) => void] {
  const ref = useRef(INITIAL_CONTROLS);
  const [, setFrame] = useState(0);
  const set = useCallback((change: Partial<Controls>) => {
    ref.current = { ...ref.current, ...change };
    setFrame((f) => f + 1);
  }, []);
  return [() => ref.current, set];
}

/** The dashboard component. */
export function Dashboard({ playback, tick = true }: DashboardProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { columns: width, rows: height } = useTerminalSize();
  const [, setFrame] = useState(0);
  const [started] = useState(() => Date.now());
  const [controls, setControls] = useControls();
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

  const { view, stageSel, reqSel, expanded, help, sortByShare, sortByStart, filterText, message } = controls();
  const snap = playback.snapshot();
  const stages = stageRows(snap.stats.all.stageSummaries(), sortByShare);
  let slowest = snap.slowest;
  if (sortByStart) slowest = [...slowest].sort((a, b) => a.start - b.start);

  /** One key, on the controls as the key before it left them. */
  const onKey = (k: KeyPress): void => {
    const c = controls();
    if (c.filterText !== undefined) {
      if (k.name === 'return') {
        let message = '';
        try {
          playback.setFilter(parseFilter(c.filterText));
        } catch (e) {
          message = (e as Error).message;
        }
        setControls({ filterText: undefined, message });
      } else if (k.name === 'escape') setControls({ filterText: undefined });
      else if (k.name === 'backspace') setControls({ filterText: c.filterText.slice(0, -1) });
      else if (k.name === 'char') setControls({ filterText: c.filterText + k.text });
      return;
    }
    // The help overlay lists q among the keys: it quits from there too; ? and escape close the overlay.
    if ((k.name === 'char' && k.text === 'q') || (k.name === 'ctrl' && k.text === 'c')) return exit();
    if (c.help) {
      if ((k.name === 'char' && k.text === '?') || k.name === 'escape') setControls({ help: false });
      return;
    }
    if (k.name === 'char') {
      if (k.text === '?') setControls({ help: true });
      else if (k.text === 'p') playback.paused = !playback.paused;
      else if (k.text === '/') setControls({ filterText: '' });
      else if (k.text === 's') setControls(c.view === 'slowest' ? { sortByStart: !c.sortByStart } : { sortByShare: !c.sortByShare });
      else if (k.text === '+' || k.text === '=') playback.scaleSpeed(2);
      else if (k.text === '-') playback.scaleSpeed(0.5);
    } else if (k.name === 'tab') setControls({ view: VIEWS[(VIEWS.indexOf(c.view) + 1) % VIEWS.length] });
    else if (k.name === 'up') setControls(c.view === 'slowest' ? { reqSel: Math.max(0, c.reqSel - 1) } : { stageSel: Math.max(0, c.stageSel - 1) });
    else if (k.name === 'down') setControls(c.view === 'slowest' ? { reqSel: Math.min(slowest.length - 1, c.reqSel + 1) } : { stageSel: Math.min(stages.length - 1, c.stageSel + 1) });
    else if (k.name === 'return') setControls({ expanded: !c.expanded });
    else if (k.name === 'right') playback.seekTo(playback.destination + snap.duration / 10);
    else if (k.name === 'left') playback.seekTo(playback.destination - snap.duration / 10);
    redraw();
  };

  const selectedStage = stages[stageSel];
  // What `s` sorts the view by now (the histogram has no order to choose).
  const sortKey = view === 'stages' ? (sortByShare ? 'share' : 'path order') : view === 'slowest' ? (sortByStart ? 'start' : 'total') : undefined;
  const prompt = filterText !== undefined ? fitTail(`filter: ${filterText}_`, width) : undefined;
  const { header, bodyRows } = frameRows(snap, Date.now() - started, width, height, (prompt !== undefined ? 1 : 0) + (message ? 1 : 0));
  return (
    <Box flexDirection="column" width={width}>
      {isRawModeSupported && <Keys onKey={onKey} />}
      <Header lines={header} />
      <Text dimColor wrap="truncate-end">
        {fit(`view: ${VIEWS.map((v) => (v === view ? `[${v}]` : v)).join(' ')}${sortKey ? `   sort: ${sortKey}` : ''}   ? help`, width)}
      </Text>
      {help ? (
        <HelpOverlay width={width} rows={bodyRows} />
      ) : view === 'stages' ? (
        <StageBreakdown stages={stages} selected={stageSel} width={width} rows={bodyRows} />
      ) : view === 'histogram' ? (
        <HistogramView
          title={selectedStage ? selectedStage.name : 'total'}
          hist={selectedStage ? snap.stats.all.stages.get(selectedStage.name) : snap.stats.all.total}
          width={width}
          rows={bodyRows}
        />
      ) : (
        <SlowestView paths={slowest} selected={Math.min(reqSel, Math.max(0, slowest.length - 1))} expanded={expanded} width={width} rows={bodyRows} />
      )}
      {prompt !== undefined && <Text wrap="truncate-start">{prompt}</Text>}
      {message && (
        <Text color={alertColor('error')} wrap="truncate-end">
          {fit(message, width)}
        </Text>
      )}
    </Box>
  );
}
