package registry

import (
	"math"
	"testing"
)

func TestPolygonAreaHoleAndErrors(t *testing.T) {
	// 0.001° square at the equator ≈ 111.2 m × 111.2 m ≈ 12,364 m² ≈ 18.55 亩; a hole of a quarter of it
	outer := `[[109.0,0.0],[109.001,0.0],[109.001,0.001],[109.0,0.001],[109.0,0.0]]`
	hole := `[[109.0,0.0],[109.0005,0.0],[109.0005,0.0005],[109.0,0.0005],[109.0,0.0]]`
	mu, _, _, err := PolygonArea(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[` + outer + `,` + hole + `]}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := 12364.0 * 0.75 / SquareMetresPerMu
	if math.Abs(mu-want)/want > 0.01 {
		t.Fatalf("area %.3f, want %.3f", mu, want)
	}
	for _, bad := range []string{`{`, `{"type":"Point","coordinates":[1,2]}`, `{"type":"Polygon","coordinates":[[[1,2],[3,4]]]}`, `{"type":"Polygon","coordinates":"x"}`} {
		if _, _, _, err := PolygonArea(bad); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}

func FuzzPolygonArea(f *testing.F) {
	f.Add(`{"type":"Polygon","coordinates":[[[109.0,31.0],[109.001,31.0],[109.001,31.001],[109.0,31.0]]]}`)
	f.Add(`{"type":"FeatureCollection","features":[]}`)
	f.Fuzz(func(t *testing.T, s string) {
		mu, _, _, err := PolygonArea(s)
		if err == nil && (math.IsNaN(mu) || mu < 0) {
			t.Fatalf("area %v for %q", mu, s)
		}
	})
}

func TestNameTerms(t *testing.T) {
	if got := nameTerms("脆李社"); got != "脆 脆李 李 李社 社 " {
		t.Fatalf("terms %q", got)
	}
	if q := queryTerms("脆李社"); len(q) != 2 || q[0] != "脆李" || q[1] != "李社" {
		t.Fatalf("query terms %v", q)
	}
}
