import { Item, type IFormat, type IItemExport } from '@fanoutio/grip';
import { checkUserChannel } from './channels.js';
import type { PublishFormat } from './formats.js';

/** Options of one published item. */
export interface ItemOptions {
  /** This item's id; with `prevId`, lets the proxy detect gaps (reliable delivery). */
  readonly id?: string;
  readonly prevId?: string;
  /** Item meta for Pushpin filters, e.g. `{ sender: userId }` for `skip-self`. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** One item for one channel, in the formats its subscribers need. */
export interface ChannelItem extends ItemOptions {
  readonly channel: string;
  readonly formats: PublishFormat | readonly PublishFormat[];
}

/** `{"items":[` and `]}` around the items of a control request, which are joined by commas. */
export const BODY_FRAME_BYTES = '{"items":[]}'.length;

/**
 * @throws TypeError for an item without a channel or formats, or (unless
 * `reserved`: the library's own targets) for a channel of the library's own.
 */
export function checkItem(item: ChannelItem, reserved: boolean): void {
  if (typeof item.channel !== 'string' || item.channel === '') throw new TypeError('channel must be a non-empty string');
  if (!reserved) checkUserChannel(item.channel);
  const formats = Array.isArray(item.formats) ? item.formats : [item.formats];
  if (formats.length === 0) throw new TypeError(`item for channel ${item.channel} has no formats`);
}

/** The item as the control API takes it, its channel prefixed, as JSON. @throws what serializing it throws. */
export function itemJson(item: ChannelItem, prefix: string): string {
  const exported: IItemExport & { meta?: Readonly<Record<string, string>> } = new Item(
    Array.isArray(item.formats) ? [...item.formats] : [item.formats as IFormat],
    item.id,
    item.prevId,
  ).export();
  exported.channel = prefix + item.channel;
  if (item.meta !== undefined) exported.meta = item.meta;
  return JSON.stringify(exported);
}
