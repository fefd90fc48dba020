package ingest

import (
	"sync"

	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdSharedEncoder is arrow's zstd codec for Parquet pages, except that compressing at the
// default level, or at zstdFastLevel, reuses one shared encoder per level. Arrow v17 builds a
// new encoder, with its megabytes of history buffers, for every page it compresses at a level
// of its own, and shares one only at the default level. The shared encoders have the
// settings Arrow would use (the level, no empty frames), so the bytes written are the same.
type zstdSharedEncoder struct {
	compress.Codec
	fast func() *zstd.Encoder
}

// zstdFastLevel is the zstd level of PartOptions.Fast: zstd's fastest, for tables that are
// written once and read by a loader (a scored table), where write speed matters more than
// the last percent of size.
const zstdFastLevel = 1

func (z zstdSharedEncoder) EncodeLevel(dst, src []byte, level int) []byte {
	switch level {
	case compress.DefaultCompressionLevel:
		return z.Codec.Encode(dst, src)
	case zstdFastLevel:
		return z.fast().EncodeAll(src, dst[:0])
	}
	return z.Codec.EncodeLevel(dst, src, level)
}

// The codec registry is process-wide; replacing the zstd entry once, at start-up, changes
// only how fast pages are compressed.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Zstd); err == nil {
		fast := sync.OnceValue(func() *zstd.Encoder {
			enc, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(zstdFastLevel)))
			if err != nil {
				panic(err) // only for invalid options
			}
			return enc
		})
		compress.RegisterCodec(compress.Codecs.Zstd, zstdSharedEncoder{Codec: c, fast: fast})
	}
}
