// Key presses from terminal input: a chunk read at once (keys typed fast, send-keys, a paste) split into its keys.
import type { Key } from 'ink';

/** What a key press is to the dashboard. */
export type KeyName = 'up' | 'down' | 'left' | 'right' | 'return' | 'escape' | 'tab' | 'backspace' | 'char' | 'ctrl';

/** One key: a named key, a printable character (`char`), or Ctrl with a letter (`ctrl`, the letter in `text`). */
export interface KeyPress {
  name: KeyName;
  /** The character of `char` and `ctrl` presses; empty for the others. */
  text: string;
}

const ESC = '\u001B';
/** CSI (ESC [ parameters final) and SS3 (ESC O final) sequences, as terminals send for arrows and function keys. */
const SEQUENCE = /^\u001B(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|O[\x40-\x7e])/;
/** Arrows by their sequence's final byte (ESC [ A, ESC O A, ESC [ 1 ; 5 A ...). */
const ARROWS: Record<string, KeyName> = { A: 'up', B: 'down', C: 'right', D: 'left' };

const press = (name: KeyName, text = ''): KeyPress => ({ name, text });

/**
 * Splits raw terminal input into keys: arrow sequences, escape, return (\r or \n), tab, backspace
 * (\x7f or \b), Ctrl-letter, and each printable character. Other escape sequences (function keys,
 * Home, ...) are dropped.
 */
export function splitKeys(chunk: string): KeyPress[] {
  const out: KeyPress[] = [];
  for (let i = 0; i < chunk.length; ) {
    const c = chunk[i]!;
    if (c === ESC) {
      const seq = SEQUENCE.exec(chunk.slice(i))?.[0];
      if (seq) {
        const arrow = ARROWS[seq[seq.length - 1]!];
        if (arrow) out.push(press(arrow));
        i += seq.length;
      } else {
        out.push(press('escape'));
        i++;
      }
      continue;
    }
    const code = chunk.codePointAt(i)!;
    const ch = String.fromCodePoint(code);
    i += ch.length;
    if (c === '\r' || c === '\n') out.push(press('return'));
    else if (c === '\t') out.push(press('tab'));
    else if (c === '\u007F' || c === '\b') out.push(press('backspace'));
    else if (code >= 1 && code <= 26) out.push(press('ctrl', String.fromCharCode(code + 96)));
    else if (code >= 0x20) out.push(press('char', ch));
  }
  return out;
}

/**
 * The keys of one of Ink's input events. Ink hands over an escape sequence as one event, but a run
 * of other input read at once ("op=read\r", five quick "j"s) as one string with its flags unset:
 * that string is split here, so each key counts, and a return in it ends a prompt.
 */
export function keysOf(input: string, key: Key): KeyPress[] {
  if (input.length > 1) return splitKeys(input);
  if (key.ctrl && input) return [press('ctrl', input)];
  if (key.upArrow) return [press('up')];
  if (key.downArrow) return [press('down')];
  if (key.leftArrow) return [press('left')];
  if (key.rightArrow) return [press('right')];
  if (key.return) return [press('return')];
  if (key.escape) return [press('escape')];
  if (key.tab) return [press('tab')];
  if (key.backspace || key.delete) return [press('backspace')];
  return splitKeys(input);
}
