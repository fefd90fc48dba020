package ingest

import (
	"bytes"
	"testing"

	"github.com/apache/arrow/go/v17/parquet/compress"
)

func TestZstdSharedEncoderSameBytes(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	shared, ok := c.(zstdSharedEncoder)
	if !ok {
		t.Fatalf("the zstd codec is %T, want zstdSharedEncoder", c)
	}
	page := bytes.Repeat([]byte("customer C0000042 paid 125.50 on 2025-01-31; "), 20_000)
	want := shared.Codec.EncodeLevel(nil, page, compress.DefaultCompressionLevel) // arrow's own path
	got := shared.EncodeLevel(nil, page, compress.DefaultCompressionLevel)
	if !bytes.Equal(got, want) {
		t.Fatalf("shared encoder wrote %d bytes that differ from arrow's %d", len(got), len(want))
	}
	if back := shared.Decode(nil, got); !bytes.Equal(back, page) {
		t.Fatal("round trip failed")
	}
}
