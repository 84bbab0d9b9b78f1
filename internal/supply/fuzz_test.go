package supply_test

import (
	"testing"

	"nongfu/internal/supply"
)

// FuzzParseQty: a parsed quantity formats back to a string that parses to the same integer, and never more
// decimals than allowed are accepted.
func FuzzParseQty(f *testing.F) {
	for _, s := range []string{"12.5", "０.５", "1,200", "", "-1", "1.2345", "007", ".5", "5."} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, dec int) {
		dec = ((dec % 4) + 4) % 4
		v, err := supply.ParseQty(s, dec)
		if err != nil {
			return
		}
		if v < 0 {
			t.Fatalf("%q → negative %d", s, v)
		}
		back, err := supply.ParseQty(supply.FormatQty(v, dec), dec)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d (%v)", s, v, supply.FormatQty(v, dec), back, err)
		}
	})
}

// FuzzParseTiers: the tier field of the pool form never panics, and what it accepts has non-negative numbers.
func FuzzParseTiers(f *testing.F) {
	for _, s := range []string{"20:150,50:142", "20：150；50:142", "x", "10:", ":5", "1:1 2:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tiers, ok := supply.ParseTiers(s, 1)
		if !ok {
			return
		}
		for _, x := range tiers {
			if x.MinQty < 0 || x.PriceFen < 0 {
				t.Fatalf("%q → %+v", s, tiers)
			}
		}
	})
}
