package ingest

import "github.com/apache/arrow/go/v17/parquet/compress"

// zstdSharedEncoder is arrow's zstd codec for Parquet pages, except that compressing at the
// default level reuses the codec's one shared encoder. Arrow v17 builds a new encoder, with
// its megabytes of history buffers, for every page it compresses, which doubles the time to
// write a file. The shared encoder has the same settings (default level, no empty frames),
// so the bytes written are the same.
type zstdSharedEncoder struct{ compress.Codec }

func (z zstdSharedEncoder) EncodeLevel(dst, src []byte, level int) []byte {
	if level == compress.DefaultCompressionLevel {
		return z.Codec.Encode(dst, src)
	}
	return z.Codec.EncodeLevel(dst, src, level)
}

// The codec registry is process-wide; replacing the zstd entry once, at start-up, changes
// only how fast pages are compressed.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Zstd); err == nil {
		compress.RegisterCodec(compress.Codecs.Zstd, zstdSharedEncoder{c})
	}
}
