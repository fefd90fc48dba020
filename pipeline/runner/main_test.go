package runner

import (
	"testing"

	"lendscore/internal/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }
