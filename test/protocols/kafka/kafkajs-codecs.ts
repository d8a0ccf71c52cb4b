import kafkajs from 'kafkajs';
import { compressAsync, decompressAsync } from '../../../src/common/compression.ts';
import type { CompressionName } from '../../../src/common/record-batch-header.ts';

/** kafkajs ships gzip only; snappy, lz4 and zstd are registered here with Ferry's own codecs
 *  (src/common/compression.ts), as a kafkajs user would register kafkajs-snappy and friends. */
function codec(name: CompressionName) {
  return () => ({
    compress: (encoder: { buffer: Buffer }) => compressAsync(name, encoder.buffer),
    decompress: (buffer: Buffer) => decompressAsync(name, buffer),
  });
}

// kafkajs is CommonJS: these two are not visible as named ES exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

export function registerKafkajsCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = codec('snappy');
  CompressionCodecs[CompressionTypes.LZ4] = codec('lz4');
  CompressionCodecs[CompressionTypes.ZSTD] = codec('zstd');
}
