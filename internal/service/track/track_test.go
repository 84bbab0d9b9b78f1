package track

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// A square of 100 m × 100 m at 31° N = 10,000 m² = 15 亩.
func square() (lat0, lon0, dLat, dLon float64) {
	lat0, lon0 = 31.0, 109.9
	dLat = 100 / (earthR * math.Pi / 180)
	dLon = dLat / math.Cos(lat0*math.Pi/180)
	return
}

func TestPolygonArea(t *testing.T) {
	lat0, lon0, dLat, dLon := square()
	gj := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}}`,
		lon0, lat0, lon0+dLon, lat0+dLat)
	tr, err := Parse([]byte(gj))
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Area(0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Method != "polygon" || math.Abs(m.AreaMu-15) > 0.02 {
		t.Fatalf("got %+v, want polygon ≈ 15 亩", m)
	}
}

func TestGPXLengthTimesWidth(t *testing.T) {
	lat0, lon0, dLat, _ := square()
	// five 100-m passes north–south (the headland turns at 0 length), width 2 m → 5 × 100 × 2 = 1000 m² = 1.5 亩
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>`)
	for i := 0; i < 5; i++ {
		a, z := lat0, lat0+dLat
		if i%2 == 1 {
			a, z = z, a
		}
		fmt.Fprintf(&b, `<trkpt lat="%f" lon="%f"/><trkpt lat="%f" lon="%f"/>`, a, lon0, z, lon0)
	}
	b.WriteString(`</trkseg></trk></gpx>`)
	tr, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Area(0); err != ErrNoWidth {
		t.Fatalf("no width: %v", err)
	}
	m, err := tr.Area(2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Method != "length_x_width" || math.Abs(m.LengthM-500) > 1 || math.Abs(m.AreaMu-1.5) > 0.01 {
		t.Fatalf("got %+v", m)
	}
	if _, err := Parse([]byte(tr.GeoJSON())); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "hello", "<gpx><trk>", `{"type":"Point","coordinates":[1,2]}`, `{"type":"LineString","coordinates":[[200,1],[1,1]]}`,
		`{"type":"Nope"}`, `{"type":"Polygon","coordinates":"x"}`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%q: want an error", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<gpx><trk><trkseg><trkpt lat="31" lon="109"/><trkpt lat="31.001" lon="109"/></trkseg></trk></gpx>`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[109,31],[109,31.01]]}}]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[109,31],[109.01,31],[109.01,31.01],[109,31]]]]}`))
	f.Add([]byte(`<gpx><rte><rtept lat="NaN" lon="1"/></rte></gpx>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			return
		}
		m, err := tr.Area(2.5)
		if err != nil {
			t.Fatalf("parsed track has no area: %v", err)
		}
		if m.AreaMu < 0 || math.IsNaN(m.AreaMu) || math.IsInf(m.AreaMu, 0) {
			t.Fatalf("bad area %v", m.AreaMu)
		}
		if _, err := Parse([]byte(tr.GeoJSON())); err != nil {
			t.Fatalf("own GeoJSON does not parse: %v", err)
		}
	})
}
