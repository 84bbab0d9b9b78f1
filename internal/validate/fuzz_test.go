package validate

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkAccepted asserts the common invariants of a validator: accepted
// results have the expected length, are ASCII, and are fixed points.
func checkAccepted(t *testing.T, name string, fn func(string) (string, error), in string, wantLen int) {
	t.Helper()
	got, err := fn(in)
	if err != nil {
		if got != "" {
			t.Fatalf("%s(%q) returned %q with error %v", name, in, got, err)
		}
		if _, ok := err.(*Error); !ok {
			t.Fatalf("%s(%q) error type %T", name, in, err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("%s(%q) error message is not valid UTF-8: %q", name, in, err.Error())
		}
		return
	}
	if len(got) != wantLen {
		t.Fatalf("%s(%q) = %q: length %d, want %d", name, in, got, len(got), wantLen)
	}
	for i := 0; i < len(got); i++ {
		if got[i] >= utf8.RuneSelf {
			t.Fatalf("%s(%q) = %q: non-ASCII result", name, in, got)
		}
	}
	again, err := fn(got)
	if err != nil || again != got {
		t.Fatalf("%s(%q) = %q, but re-validating gives %q, %v", name, in, got, again, err)
	}
	// Accepting is idempotent regardless of the cosmetic form of the input.
	if twice, err := fn(in); err != nil || twice != got {
		t.Fatalf("%s(%q) not deterministic: %q then %q, %v", name, in, got, twice, err)
	}
}

func FuzzIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ",
		" 110105 19491231 002X ", "110105194912310021", "11010519490230002X",
		"", "X", "\xff\xfe", "110105194912310", "11010519491231002X0",
		"\u300011010519491231002X\u00a0", "1101051949123１００２ｘ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAccepted(t, "IDNumber", IDNumber, s, 18)
		if got, err := IDNumber(s); err == nil {
			if _, ok := IDBirthDate(got); !ok {
				t.Fatalf("IDNumber accepted %q but IDBirthDate fails", got)
			}
			if g := IDGender(got); g != "男" && g != "女" {
				t.Fatalf("IDGender(%q) = %q", got, g)
			}
			c, err := IDNumberCheckChar(got[:17])
			if err != nil || c != got[17] {
				t.Fatalf("IDNumberCheckChar(%q) = %q, %v", got[:17], c, err)
			}
		}
		_, _ = IDBirthDate(s)
		_ = IDGender(s)
		_, _ = IDNumberCheckChar(s)
	})
}

func FuzzCreditCode(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100m000100y43", "９１３５０１００Ｍ０００１００Ｙ４３",
		"91110000802100433B", "91440300708461136T", "91350100M000100Y44",
		"91350100M000100I43", "", "\xff", "9135 0100-M000 100Y 43",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAccepted(t, "CreditCode", CreditCode, s, 18)
		if got, err := CreditCode(s); err == nil {
			c, err := CreditCodeCheckChar(got[:17])
			if err != nil || c != got[17] {
				t.Fatalf("CreditCodeCheckChar(%q) = %q, %v", got[:17], c, err)
			}
		}
		_, _ = CreditCodeCheckChar(s)
	})
}

func FuzzMobile(f *testing.F) {
	for _, s := range []string{
		"13800138000", "+8613800138000", "8613800138000", "008613800138000",
		"138-0013-8000", "１３８００１３８０００", "12800138000", "", "+86", "\xff1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAccepted(t, "Mobile", Mobile, s, 11)
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " a  b ", "\u3000全角\u3000", "ＡＢＣ", "\xff", "a\u200bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if isNormal(s) && n != s {
			t.Fatalf("isNormal(%q) but Normalize changes it to %q", s, n)
		}
		if !isNormal(n) && Normalize(n) == n && !hasControl(n) {
			t.Fatalf("isNormal(%q) is needlessly false", n)
		}
		if Normalize(n) != n {
			t.Fatalf("Normalize not idempotent on %q: %q -> %q", s, n, Normalize(n))
		}
		c := Compact(s)
		if Compact(c) != c {
			t.Fatalf("Compact not idempotent on %q: %q -> %q", s, c, Compact(c))
		}
	})
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}
