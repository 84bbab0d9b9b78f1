package web

import (
	"testing"
	"time"

	"nongfu/internal/apperr"
)

func TestFormats(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := FormatInt(in); got != want {
			t.Errorf("FormatInt(%d) = %s", in, got)
		}
	}
	for in, want := range map[int64]string{12345: "123.45元", 123456789: "123.46万元", 15000000000: "1.50亿元"} {
		if got := FormatFen(in); got != want {
			t.Errorf("FormatFen(%d) = %s", in, got)
		}
	}
	for in, want := range map[int64]string{0: "0.00", 5: "0.05", 1951234: "19,512.34", -100: "-1.00"} {
		if got := FormatYuanExact(in); got != want {
			t.Errorf("FormatYuanExact(%d) = %s", in, got)
		}
	}
	if got := FormatMu(300000000); got != "300.00万亩" {
		t.Errorf("FormatMu = %s", got)
	}
	if got := FormatDate(time.Date(2024, 7, 31, 20, 0, 0, 0, time.UTC)); got != "2024-08-01" {
		t.Errorf("dates are shown in Asia/Shanghai: %s", got)
	}
	if got := FormatPercent(1, 3); got != "33.3%" {
		t.Errorf("FormatPercent = %s", got)
	}
}

func TestStatusTable(t *testing.T) {
	for code, want := range map[apperr.Code]int{apperr.Invalid: 422, apperr.NotFound: 404, apperr.Conflict: 409, apperr.Forbidden: 403,
		apperr.Unauthorized: 401, apperr.TooMany: 429, apperr.Internal: 500} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d", code, got)
		}
	}
}
