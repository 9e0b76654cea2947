/**
 * The adder's page as the CPU sees it: a listing with the bytes in a column of their own beside each
 * instruction (never on lines between instructions), and a decoder that splits the selected instruction
 * into its encoding fields.
 *
 * Every byte is a button. The byte column is one stop in the Tab order (a roving tabindex): the arrow keys
 * move between bytes (left and right) and instructions (up and down), Home and End go to the first and last
 * byte. Hovering or focusing a byte lights the bytes of its field and the tokens of the instruction that
 * field encodes (the mnemonic for an opcode, the register a ModRM field names, the number an immediate
 * holds); hovering a token, or focusing a mnemonic (a link to its reference), lights the bytes that
 * encode it.
 */
import type { AdderDetails, EncodingField, FieldKind, Instruction } from './api.js';
import { byId, el } from './elements.js';
import { hexOffset, isTrap } from './format.js';
import { plainOperation } from './meaning.js';

export const FIELD_KIND_NAMES: Record<FieldKind, string> = {
  prefix: 'legacy prefix',
  rex: 'REX prefix',
  vex: 'VEX prefix',
  opcode: 'opcode',
  modrm: 'ModRM',
  sib: 'SIB',
  displacement: 'displacement',
  immediate: 'immediate',
  word: 'A64 instruction word',
};

/** One row of the listing: an instruction, or a run of int3 padding drawn as one. */
interface Row {
  instructions: Instruction[];
  /** What it does, in plain words. */
  meaning: string;
  bytes: HTMLButtonElement[];
  fields: DrawnField[];
}

/** An encoding field as drawn: its bytes and the tokens of the instruction text it encodes. */
interface DrawnField {
  row: Row;
  field: EncodingField;
  /** Its place in its instruction's fields (the same in every int3 of a padding run). */
  index: number;
  bytes: HTMLButtonElement[];
  tokens: HTMLElement[];
}

interface Tokens {
  mnemonic: HTMLElement;
  operands: { text: string; element: HTMLElement }[];
}

export class Listing {
  readonly #body = byId<HTMLTableSectionElement>('listing-body');
  readonly #decoder = byId('decoder-body');
  #rows: Row[] = [];
  #bytes: HTMLButtonElement[] = [];
  #fieldOfByte = new Map<HTMLElement, DrawnField>();
  #fieldsOfToken = new Map<HTMLElement, DrawnField[]>();
  #active = 0;
  #lit: Element[] = [];
  /** What is drawn: a page is drawn again only when its code changes. */
  #drawn = '';

  constructor() {
    this.#body.addEventListener('keydown', (event) => this.#onKey(event));
    this.#body.addEventListener('focusin', (event) => this.#onFocus(event.target));
    this.#body.addEventListener('click', (event) => this.#onFocus(event.target));
    this.#body.addEventListener('focusout', () => this.#lightSelection());
    this.#body.addEventListener('mouseover', (event) => this.#lightElement(event.target));
    this.#body.addEventListener('mouseleave', () => this.#lightSelection());
  }

  show(details: AdderDetails): void {
    const drawn = `${details.term} ${details.code}`;
    if (drawn === this.#drawn) return;
    this.#drawn = drawn;
    const keepFocus = this.#body.contains(document.activeElement);
    this.#rows = [];
    this.#bytes = [];
    this.#fieldOfByte.clear();
    this.#fieldsOfToken.clear();
    const termBytes = new Set(details.termBytesAt.flatMap((at) => [at, at + 1, at + 2, at + 3]));
    const rows: HTMLTableRowElement[] = [];
    for (const instructions of groupPadding(details.disassembly)) {
      const first = instructions[0] as Instruction;
      const entry = details.entries.find((candidate) => candidate.offset === first.offset);
      if (entry !== undefined) {
        rows.push(
          el(
            'tr',
            { class: 'entry' },
            el(
              'th',
              { colspan: 3, id: `entry-${entry.name}` },
              el('code', {}, `${entry.name}:`),
              ' ',
              el(
                'span',
                { class: 'signature' },
                `${entry.signature}, entry point at ${hexOffset(entry.offset)}`,
              ),
            ),
          ),
        );
      }
      rows.push(this.#drawRow(instructions, details, termBytes));
    }
    this.#body.replaceChildren(...rows);
    this.#select(Math.min(this.#active, this.#bytes.length - 1), keepFocus);
  }

  /** Draws no page: the adder was released or never compiled. */
  clear(note: string): void {
    this.#drawn = '';
    this.#rows = [];
    this.#bytes = [];
    this.#active = 0;
    this.#body.replaceChildren(el('tr', {}, el('td', { colspan: 3, class: 'empty' }, note)));
    this.#decoder.replaceChildren(el('p', { class: 'empty' }, 'Select a byte to decode its instruction.'));
  }

  #drawRow(instructions: Instruction[], details: AdderDetails, termBytes: Set<number>): HTMLTableRowElement {
    const first = instructions[0] as Instruction;
    const meaning = isTrap(first) ? 'padding: traps if anything jumps here' : plainOperation(first, details);
    const row: Row = { instructions, meaning, bytes: [], fields: [] };
    this.#rows.push(row);
    const length = instructions.reduce((sum, instruction) => sum + instruction.length, 0);
    const tokens = drawTokens(first, instructions.length);
    const fieldGroups: HTMLElement[] = [];
    for (const instruction of instructions) {
      for (const [index, field] of instruction.fields.entries()) {
        const drawn: DrawnField = { row, field, index, bytes: [], tokens: linkedTokens(field, tokens) };
        field.bytes.split(' ').forEach((hex, byteIndex) => {
          const offset = instruction.offset + field.offset + byteIndex;
          const button = el(
            'button',
            {
              type: 'button',
              class: `byte${termBytes.has(offset) ? ' term-byte' : ''}`,
              tabindex: -1,
              'data-offset': offset,
              'aria-label':
                `${hex}: ${FIELD_KIND_NAMES[field.kind]} of ${instruction.text}, at ${hexOffset(offset)}` +
                (termBytes.has(offset) ? ', one of the term’s own bytes' : ''),
            },
            hex,
          );
          drawn.bytes.push(button);
          row.bytes.push(button);
          this.#bytes.push(button);
          this.#fieldOfByte.set(button, drawn);
        });
        for (const token of drawn.tokens)
          this.#fieldsOfToken.set(token, [...(this.#fieldsOfToken.get(token) ?? []), drawn]);
        row.fields.push(drawn);
        fieldGroups.push(el('span', { class: `field kind-${field.kind}` }, ...drawn.bytes));
      }
    }
    const padding = instructions.length > 1;
    return el(
      'tr',
      { class: isTrap(first) ? 'padding' : null },
      el(
        'td',
        { class: 'offset' },
        el('span', {}, hexOffset(first.offset)),
        el('span', { class: 'length' }, `${length} B`),
      ),
      el('td', { class: `bytes${padding ? ' wraps' : ''}` }, ...fieldGroups),
      el(
        'td',
        {},
        el(
          'div',
          { class: 'instruction' },
          el('code', { class: 'asm' }, ...tokensWithCommas(tokens)),
          el('span', { class: 'meaning' }, meaning),
        ),
      ),
    );
  }

  #onKey(event: KeyboardEvent): void {
    const current = this.#bytes.indexOf(event.target as HTMLButtonElement);
    const button = this.#bytes[current];
    if (button === undefined) return;
    const row = this.#rows.findIndex((candidate) => candidate.bytes.includes(button));
    const column = (this.#rows[row] as Row).bytes.indexOf(button);
    // Up and down keep the place in the instruction, or take the last byte of a shorter one.
    const sameColumn = (rowIndex: number) => {
      const target = this.#rows[rowIndex];
      if (target === undefined) return current;
      return this.#bytes.indexOf(
        target.bytes[Math.min(column, target.bytes.length - 1)] as HTMLButtonElement,
      );
    };
    const next: Record<string, number> = {
      ArrowRight: Math.min(current + 1, this.#bytes.length - 1),
      ArrowLeft: Math.max(current - 1, 0),
      ArrowDown: sameColumn(row + 1),
      ArrowUp: sameColumn(row - 1),
      Home: 0,
      End: this.#bytes.length - 1,
    };
    const target = next[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.#select(target, true);
  }

  #onFocus(target: EventTarget | null): void {
    const index = this.#bytes.indexOf(target as HTMLButtonElement);
    if (index < 0) this.#lightElement(target);
    else if (index !== this.#active) this.#select(index, false);
  }

  /** Lights what a byte or a token is linked to; anything else lights the selection again. */
  #lightElement(target: EventTarget | null): void {
    const element = target instanceof Element ? target.closest('.byte, .token') : null;
    const field = element === null ? undefined : this.#fieldOfByte.get(element as HTMLElement);
    const fields =
      field !== undefined
        ? [field]
        : element === null
          ? undefined
          : this.#fieldsOfToken.get(element as HTMLElement);
    if (fields === undefined) this.#lightSelection();
    else this.#light(fields);
  }

  #select(index: number, focus: boolean): void {
    const button = this.#bytes[index];
    if (button === undefined) return;
    this.#bytes[this.#active]?.setAttribute('tabindex', '-1');
    this.#active = index;
    button.setAttribute('tabindex', '0');
    if (focus) button.focus();
    this.#lightSelection();
    const field = this.#fieldOfByte.get(button);
    if (field !== undefined) this.#decode(field);
  }

  #lightSelection(): void {
    const field = this.#fieldOfByte.get(this.#bytes[this.#active] as HTMLElement);
    this.#light(field === undefined ? [] : [field]);
  }

  #light(fields: DrawnField[]): void {
    for (const element of this.#lit) element.classList.remove('lit');
    this.#lit = fields.flatMap((field) => [...field.bytes, ...field.tokens]);
    for (const element of this.#lit) element.classList.add('lit');
  }

  /** The decoder: the selected byte's instruction, field by field, with the selected field marked. */
  #decode(selected: DrawnField): void {
    const row = selected.row;
    const instruction = row.instructions[0] as Instruction;
    const repeat = row.instructions.length > 1 ? ` ×${row.instructions.length}` : '';
    this.#decoder.replaceChildren(
      el(
        'p',
        { class: 'decoded' },
        el('code', {}, instruction.text + repeat),
        ` at ${hexOffset(instruction.offset)}, ${instruction.length} byte${instruction.length === 1 ? '' : 's'}`,
        repeat === '' ? '' : ' each',
      ),
      el('p', { class: 'meaning' }, row.meaning),
      el(
        'p',
        {},
        el('code', {}, instruction.instructionString),
        ', opcode ',
        el('code', {}, instruction.opCodeString),
        instruction.reference === null
          ? ''
          : el(
              'span',
              {},
              ' · ',
              el(
                'a',
                { href: instruction.reference },
                `the reference page of ${instruction.mnemonic.toLowerCase()}`,
              ),
            ),
      ),
      el(
        'ol',
        { class: 'fields', 'aria-label': `Encoding fields of ${instruction.text}` },
        ...instruction.fields.map((field, index) => {
          const current = index === selected.index;
          return el(
            'li',
            { class: `field-detail kind-${field.kind}`, 'aria-current': current ? 'true' : null },
            el(
              'p',
              { class: 'field-head' },
              el('span', { class: 'field-kind' }, FIELD_KIND_NAMES[field.kind]),
              ' ',
              el('code', { class: 'field-bytes' }, field.bytes),
              ` at byte ${field.offset}`,
            ),
            el('p', { class: 'field-description' }, field.description),
            field.bits === undefined ? null : bitsTable(field),
          );
        }),
      ),
    );
  }
}

/** Runs of trap padding (int3, udf) become one row; every other instruction is a row of its own. */
function groupPadding(instructions: Instruction[]): Instruction[][] {
  const rows: Instruction[][] = [];
  for (const instruction of instructions) {
    const last = rows.at(-1);
    const previous = last?.at(-1);
    if (last !== undefined && previous !== undefined && isTrap(previous) && isTrap(instruction))
      last.push(instruction);
    else rows.push([instruction]);
  }
  return rows;
}

function drawTokens(instruction: Instruction, repeat: number): Tokens {
  const space = instruction.text.indexOf(' ');
  const mnemonicText = space < 0 ? instruction.text : instruction.text.slice(0, space);
  const mnemonic =
    instruction.reference === null
      ? el('span', { class: 'token mnemonic' }, mnemonicText)
      : el('a', { class: 'token mnemonic', href: instruction.reference }, mnemonicText);
  if (repeat > 1) mnemonic.append(el('span', { class: 'repeat' }, ` ×${repeat}`));
  const operands =
    space < 0
      ? []
      : instruction.text
          .slice(space + 1)
          .split(', ')
          .map((text) => ({ text, element: el('span', { class: 'token operand' }, text) }));
  return { mnemonic, operands };
}

function tokensWithCommas(tokens: Tokens): (HTMLElement | string)[] {
  const parts: (HTMLElement | string)[] = [tokens.mnemonic];
  for (const [index, operand] of tokens.operands.entries())
    parts.push(index === 0 ? ' ' : ', ', operand.element);
  return parts;
}

const isMemory = (operand: string) => operand.includes('[');
const isNumber = (operand: string) => /^(short |near )?-?(0x)?[0-9a-f]+h?$/i.test(operand);
const isWideRegister = (operand: string) => /^(r[a-z0-9]+|sil|dil|spl|bpl)$/.test(operand);

/**
 * The tokens a field encodes. Bits whose meaning names an operand link to it (ModRM's reg and rm, the
 * register in B8+rd, VEX.vvvv); an opcode extension (/0…/7), a prefix or an opcode links to the mnemonic;
 * REX to the mnemonic and the 64-bit or new byte registers it makes; SIB and displacement to the memory
 * operand; an immediate to the number it holds.
 */
function linkedTokens(field: EncodingField, tokens: Tokens): HTMLElement[] {
  const linked = new Set<HTMLElement>();
  for (const bit of field.bits ?? []) {
    const named = (bit.meaning.split(' ')[0] ?? '').replace(/:$/, '');
    const operand = tokens.operands.find(
      ({ text }) => text === named || (named.startsWith('[') && text.startsWith(named.slice(0, -1))),
    );
    if (operand !== undefined) linked.add(operand.element);
    else if (/^\/[0-7]$/.test(named)) linked.add(tokens.mnemonic);
  }
  const operandsWhere = (test: (text: string) => boolean) =>
    tokens.operands.filter(({ text }) => test(text)).map(({ element }) => element);
  switch (field.kind) {
    case 'prefix':
    case 'opcode':
    case 'vex':
      linked.add(tokens.mnemonic);
      break;
    case 'rex':
      linked.add(tokens.mnemonic);
      for (const element of operandsWhere(isWideRegister)) linked.add(element);
      break;
    case 'sib':
    case 'displacement':
      for (const element of operandsWhere(isMemory)) linked.add(element);
      break;
    case 'immediate':
      for (const element of operandsWhere(isNumber).slice(-1)) linked.add(element);
      break;
    case 'modrm':
      break;
    case 'word':
      // An A64 word encodes the whole instruction: its fixed bits the operation.
      linked.add(tokens.mnemonic);
      break;
  }
  return [...linked];
}

function bitsTable(field: EncodingField): HTMLTableElement {
  return el(
    'table',
    { class: 'bits' },
    el('caption', { class: 'visually-hidden' }, `The bits of ${field.bytes}`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Bits'),
        el('th', { scope: 'col' }, 'Field'),
        el('th', { scope: 'col' }, 'Meaning'),
      ),
    ),
    el(
      'tbody',
      {},
      ...(field.bits ?? []).map((bit) =>
        el(
          'tr',
          {},
          el('td', {}, el('code', {}, bit.value)),
          el(
            'th',
            { scope: 'row' },
            bit.name,
            // An A64 word's fields are bit ranges of the word, numbered from 31 down.
            bit.high === undefined || bit.low === undefined
              ? null
              : el(
                  'span',
                  { class: 'bit-range' },
                  bit.high === bit.low ? ` (bit ${bit.high})` : ` (bits ${bit.high}–${bit.low})`,
                ),
          ),
          el('td', {}, bit.meaning),
        ),
      ),
    ),
  );
}
