// A small ZIP reader for the deployment artifacts `serverless package` writes:
// enough of APPNOTE.TXT for what Lambda accepts from serverless-esbuild
// (stored or deflated entries, no ZIP64, no encryption), so the test needs
// neither `unzip` nor a ZIP library. Entries are found through the central
// directory (sizes there are right even when the local headers defer them to
// data descriptors), inflated with node:zlib, and checked against their CRC-32.
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

function fail(reason: string): never {
  throw new Error(`not a ZIP archive this reader handles: ${reason}`);
}

/** Every file entry of a ZIP archive (directory entries are skipped). */
export function readZip(archive: Buffer): ZipEntry[] {
  // The end-of-central-directory record is the last 22 bytes, before a comment of up to 64 KiB.
  let end = -1;
  for (let at = archive.length - 22; at >= Math.max(0, archive.length - 22 - 0xffff); at--) {
    if (archive.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) fail('no end of central directory record');
  const count = archive.readUInt16LE(end + 10);
  const directorySize = archive.readUInt32LE(end + 12);
  const directoryOffset = archive.readUInt32LE(end + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) fail('ZIP64');
  if (directoryOffset + directorySize > end) fail('central directory out of bounds');

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== CENTRAL_FILE_HEADER) fail(`bad central header ${i}`);
    const flags = archive.readUInt16LE(at + 8);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressedSize = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localOffset = archive.readUInt32LE(at + 42);
    const name = archive.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (flags & 0x1) fail(`${name} is encrypted`);

    if (archive.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) fail(`bad local header for ${name}`);
    const dataStart = localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
    const raw = archive.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === STORED) data = Buffer.from(raw);
    else if (method === DEFLATED) data = inflateRawSync(raw);
    else fail(`${name} uses compression method ${method}`);
    if (data.length !== size) fail(`${name} inflates to ${data.length} bytes, not ${size}`);
    if (crc32(data) >>> 0 !== crc) fail(`${name} fails its CRC-32 check`);
    entries.push({ name, data });
  }
  return entries;
}
