package validate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withToday pins "today" for the birth-date range check.
func withToday(t *testing.T, y int, m time.Month, d int) {
	t.Helper()
	old := now
	now = func() time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.Local) }
	t.Cleanup(func() { now = old })
}

// mkID builds a valid ID number from its first 17 digits.
func mkID(t testing.TB, first17 string) string {
	t.Helper()
	c, err := IDNumberCheckChar(first17)
	if err != nil {
		t.Fatalf("IDNumberCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

func mkCredit(t testing.TB, first17 string) string {
	t.Helper()
	c, err := CreditCodeCheckChar(first17)
	if err != nil {
		t.Fatalf("CreditCodeCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r <= '~' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"  张 三  ", "张 三"},
		{"\u3000王\u3000五\u3000", "王 五"},
		{"\u00a0李四\u00a0", "李四"},
		{"ＡＢＣ１２３！～", "ABC123!~"},
		{"福建省  福州市\t\t鼓楼区\r\n", "福建省 福州市 鼓楼区"},
		{"a\u200bb\ufeff", "ab"},
		{" \u3000 \u00a0", ""},
		{"x\xffy", "x\ufffdy"},
		{"a b", "a b"},
		{"a  b", "a b"},
		{" a", "a"},
		{"a ", "a"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"138-0013-8000", "13800138000"},
		{" 138 0013 8000 ", "13800138000"},
		{"１３８　００１３　８０００", "13800138000"},
		{"138—0013－8000", "13800138000"},
		{"11010519491231002x", "11010519491231002X"},
		{"91350100m000100y43", "91350100M000100Y43"},
	}
	for _, tt := range tests {
		if got := Compact(tt.in); got != tt.want {
			t.Errorf("Compact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIDNumber(t *testing.T) {
	withToday(t, 2025, time.June, 15)
	valid1 := mkID(t, "50023719900101001") // ends in X
	valid2 := mkID(t, "32010220000229123") // leap day
	valid3 := mkID(t, "11010119000101002") // lower bound
	validToday := mkID(t, "44030620250615004")
	if valid1[17] != 'X' {
		t.Fatalf("test setup: expected X check char, got %s", valid1)
	}
	tests := []struct {
		in, want string
		errSub   string
	}{
		{"11010519491231002X", "11010519491231002X", ""}, // GB 11643-1999 example
		{"11010519491231002x", "11010519491231002X", ""},
		{" 110105 19491231 002X ", "11010519491231002X", ""},
		{"110105-19491231-002X", "11010519491231002X", ""},
		{toFullWidth("11010519491231002X"), "11010519491231002X", ""},
		{toFullWidth(strings.ToLower(valid1)), valid1, ""},
		{"\u3000" + valid2 + "\u00a0", valid2, ""},
		{valid3, valid3, ""},
		{validToday, validToday, ""},

		{"", "", "应为18位（当前0位）"},
		{"11010519491231002", "", "应为18位（当前17位）"},
		{"11010519491231002X1", "", "应为18位（当前19位）"},
		{"110105194912310", "", "应为18位（当前15位）"},
		{"11010519491231002Y", "", "非法字符"},
		{"1101051949123100X2", "", "非法字符"},
		{"11010519491231002中", "", "非法字符"},
		{"11010519491231002?", "", "非法字符"},
		{"110105194912310021", "", "校验位错误，应为 X"},
		{mkID(t, "11010519490230002"), "", "出生日期无效"}, // 30 Feb
		{mkID(t, "11010519491301002"), "", "出生日期无效"}, // month 13
		{mkID(t, "11010519490100002"), "", "出生日期无效"}, // day 0
		{mkID(t, "11010518991231002"), "", "出生日期无效"}, // before 1900
		{mkID(t, "44030620250616004"), "", "出生日期无效"}, // tomorrow
		{mkID(t, "32010219000229123"), "", "出生日期无效"}, // 1900 not a leap year
	}
	for _, tt := range tests {
		got, err := IDNumber(tt.in)
		if tt.errSub == "" {
			if err != nil || got != tt.want {
				t.Errorf("IDNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var ve *Error
		if err == nil || !errors.As(err, &ve) || !strings.Contains(ve.Msg, tt.errSub) || !strings.HasPrefix(ve.Msg, "身份证号") {
			t.Errorf("IDNumber(%q) = %q, %v; want *Error containing %q", tt.in, got, err, tt.errSub)
		}
		if got != "" {
			t.Errorf("IDNumber(%q) returned %q together with an error", tt.in, got)
		}
	}
}

func TestIDBirthDateGender(t *testing.T) {
	withToday(t, 2025, time.June, 15)
	d, ok := IDBirthDate("11010519491231002x")
	if !ok || !d.Equal(time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("IDBirthDate = %v, %v", d, ok)
	}
	if _, ok := IDBirthDate(mkID(t, "11010519490230002")); ok {
		t.Error("IDBirthDate accepted 30 Feb")
	}
	if _, ok := IDBirthDate("1101051949"); ok {
		t.Error("IDBirthDate accepted a short number")
	}
	if g := IDGender("11010519491231002X"); g != "女" { // 17th digit 2
		t.Errorf("IDGender = %q, want 女", g)
	}
	if g := IDGender(mkID(t, "11010519491231001")); g != "男" {
		t.Errorf("IDGender = %q, want 男", g)
	}
	if g := IDGender("abc"); g != "" {
		t.Errorf("IDGender(abc) = %q, want empty", g)
	}
}

func TestIDNumberCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		ok   bool
	}{
		{"11010519491231002", 'X', true},
		{"50023719900101001", 'X', true},
		{"11010119900307777", '4', true},
		{"1101011990030777", 0, false},
		{"1101011990030777A", 0, false},
	}
	for _, tt := range tests {
		got, err := IDNumberCheckChar(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("IDNumberCheckChar(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestCreditCode(t *testing.T) {
	gen := mkCredit(t, "91110000MA01ABCD1")
	tests := []struct {
		in, want string
		errSub   string
	}{
		{"91350100M000100Y43", "91350100M000100Y43", ""},
		{"91110000802100433B", "91110000802100433B", ""},
		{"91440300708461136T", "91440300708461136T", ""},
		{"91350100m000100y43", "91350100M000100Y43", ""},
		{" 9135 0100 M000 100Y 43 ", "91350100M000100Y43", ""},
		{toFullWidth("91350100m000100y43"), "91350100M000100Y43", ""},
		{gen, gen, ""},
		{mkCredit(t, "12100000400000624"), "12100000400000624D", ""},
		{gen[:17] + "0", "", "校验位错误，应为 M"},
		{"311100004000000001", "", "校验位错误，应为 2"},

		{"", "", "应为18位（当前0位）"},
		{"91350100M000100Y4", "", "应为18位（当前17位）"},
		{"91350100M000100Y431", "", "应为18位（当前19位）"},
		{"91350100M000100I43", "", "非法字符“I”"},
		{"91350100O000100Y43", "", "非法字符“O”"},
		{"9135010SM000100Y43", "", "非法字符“S”"},
		{"91350100V000100Y43", "", "非法字符“V”"},
		{"91350100Z000100Y43", "", "非法字符“Z”"},
		{"91350100M000100Y4中", "", "非法字符“中”"},
		{"91350100M000100Y44", "", "校验位错误，应为 3"},
		{"91110000802100433C", "", "校验位错误，应为 B"},
	}
	for _, tt := range tests {
		got, err := CreditCode(tt.in)
		if tt.errSub == "" {
			if err != nil || got != tt.want {
				t.Errorf("CreditCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var ve *Error
		if err == nil || !errors.As(err, &ve) || !strings.Contains(ve.Msg, tt.errSub) || !strings.HasPrefix(ve.Msg, "统一社会信用代码") {
			t.Errorf("CreditCode(%q) = %q, %v; want *Error containing %q", tt.in, got, err, tt.errSub)
		}
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	// Every check value 0..30 must map into the alphabet, including the
	// "31 → 0" case; brute-force a few prefixes to hit them all.
	seen := map[byte]bool{}
	for i := 0; i < 2000 && len(seen) < 31; i++ {
		p := []byte("91350100MA0000000")
		n := i
		for j := 16; j >= 10 && n > 0; j-- {
			p[j] = creditAlphabet[n%31]
			n /= 31
		}
		c, err := CreditCodeCheckChar(string(p))
		if err != nil {
			t.Fatal(err)
		}
		seen[c] = true
		if _, err := CreditCode(string(p) + string(c)); err != nil {
			t.Fatalf("generated code %s%c rejected: %v", p, c, err)
		}
	}
	if len(seen) != 31 {
		t.Errorf("saw %d distinct check chars, want 31", len(seen))
	}
	if _, err := CreditCodeCheckChar("91350100M000100I4"); err == nil {
		t.Error("accepted illegal char I")
	}
	if _, err := CreditCodeCheckChar("91350100"); err == nil {
		t.Error("accepted short input")
	}
}

func TestMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "13800138000"},
		{"138 0013 8000", "13800138000"},
		{"138-0013-8000", "13800138000"},
		{"１３８００１３８０００", "13800138000"},
		{"+8613800138000", "13800138000"},
		{"+86 138 0013 8000", "13800138000"},
		{"8619912345678", "19912345678"},
		{"008615012345678", "15012345678"},
		{"\u300013912345678\u00a0", "13912345678"},

		{"", ""},
		{"1380013800", ""},
		{"138001380001", ""},
		{"12800138000", ""}, // second digit 2
		{"23800138000", ""},
		{"1380013800a", ""},
		{"+8612800138000", ""},
		{"+85213800138000", ""},
		{"86138001380", ""}, // 86 prefix but only 9 digits follow: not stripped, and invalid
		{"010-12345678", ""},
	}
	for _, tt := range tests {
		got, err := Mobile(tt.in)
		if tt.want == "" {
			var ve *Error
			if err == nil || !errors.As(err, &ve) || ve.Msg != "手机号格式不正确" {
				t.Errorf("Mobile(%q) = %q, %v; want error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Mobile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestErrorType(t *testing.T) {
	_, err := IDNumber("1")
	if _, ok := err.(*Error); !ok {
		t.Fatalf("error type %T, want *validate.Error", err)
	}
	if err.Error() != "身份证号应为18位（当前1位）" {
		t.Errorf("message %q", err.Error())
	}
}
