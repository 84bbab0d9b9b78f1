package market

import (
	"math"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func factor(m Match, key string) Factor {
	for _, f := range m.Factors {
		if f.Key == key {
			return f
		}
	}
	return Factor{}
}

// 骡坪镇 and 巫山县城 (高唐街道), roughly.
const (
	luopingLng, luopingLat = 110.02, 31.21
	seatLng, seatLat       = 109.88, 31.07
)

func baseSupply() Offer {
	return Offer{Product: "巫山脆李", Grade: "一级", Quantity: 10000, Unit: "公斤", PriceFen: 800, From: day("2026-07-01"), To: day("2026-07-31"), Lng: luopingLng, Lat: luopingLat}
}

func baseDemand() Offer {
	return Offer{Product: "脆李", Grade: "一级", Quantity: 5000, Unit: "公斤", PriceFen: 900, From: day("2026-07-10"), To: day("2026-07-19"), Lng: seatLng, Lat: seatLat}
}

func TestScorePerfectPair(t *testing.T) {
	m := Score(baseSupply(), baseDemand())
	if m.Excluded {
		t.Fatal("excluded")
	}
	// every factor full except distance (about 20.4 km → just below full marks)
	for _, k := range []string{"product", "grade", "window", "quantity", "price"} {
		if f := factor(m, k); f.Score != 1 {
			t.Errorf("%s score %v (%s), want 1", k, f.Score, f.Note)
		}
	}
	if m.DistanceKm < 15 || m.DistanceKm > 25 {
		t.Errorf("distance %v km, want about 20", m.DistanceKm)
	}
	if m.Score < 98 || m.Score > 100 {
		t.Errorf("score %d, want 98–100: %s", m.Score, m.Summary)
	}
	if !strings.Contains(factor(m, "window").Note, "重叠 10 天") {
		t.Errorf("window note %q", factor(m, "window").Note)
	}
}

func TestScoreFactors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(s, d *Offer)
		key   string
		score float64
		note  string
	}{
		{"grade better than asked", func(s, d *Offer) { s.Grade = "特级" }, "grade", 0.8, "高于要求"},
		{"grade one below", func(s, d *Offer) { s.Grade = "二级" }, "grade", 0.5, "低于要求"},
		{"grade two below", func(s, d *Offer) { s.Grade = "统货"; d.Grade = "特级" }, "grade", 0.1, "低于要求"},
		{"any grade", func(s, d *Offer) { d.Grade = "" }, "grade", 1, "不限"},
		{"half window", func(s, d *Offer) { s.To = day("2026-07-14") }, "window", 0.5, "重叠 5 天"},
		{"no overlap", func(s, d *Offer) { s.From, s.To = day("2026-08-01"), day("2026-08-10") }, "window", 0, "相差 13 天"},
		{"short quantity", func(s, d *Offer) { s.Quantity = 2000 }, "quantity", 0.4, "40%"},
		{"tonnes against kilograms", func(s, d *Offer) { s.Quantity, s.Unit, s.PriceFen = 3, "吨", 850000 }, "quantity", 0.6, "3000 公斤"},
		{"jin price converted", func(s, d *Offer) { s.Unit, s.PriceFen = "斤", 500 }, "price", 0.8, "低于供应报价 10%"},
		{"price below ask", func(s, d *Offer) { d.PriceFen = 600 }, "price", 0.5, "25%"},
		{"price far below", func(s, d *Offer) { d.PriceFen = 300 }, "price", 0, ""},
		{"negotiable", func(s, d *Offer) { d.PriceFen = 0 }, "price", 0.7, "面议"},
		{"far away", func(s, d *Offer) { d.Lng, d.Lat = 106.55, 29.56 }, "distance", 0.25, "约 380"}, // 重庆主城, about 380 km: 1 − (380 − 20) / 480
		{"unknown place", func(s, d *Offer) { d.Lng, d.Lat = 0, 0 }, "distance", 0.5, "位置不详"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, d := baseSupply(), baseDemand()
			c.edit(&s, &d)
			m := Score(s, d)
			f := factor(m, c.key)
			if math.Abs(f.Score-c.score) > 0.02 {
				t.Errorf("%s score %v, want %v (%s)", c.key, f.Score, c.score, f.Note)
			}
			if !strings.Contains(f.Note, c.note) {
				t.Errorf("%s note %q lacks %q", c.key, f.Note, c.note)
			}
			if m.Excluded {
				t.Errorf("excluded")
			}
		})
	}
}

func TestScoreExcludes(t *testing.T) {
	s, d := baseSupply(), baseDemand()
	d.Product = "脐橙"
	if m := Score(s, d); !m.Excluded || m.Score != 0 {
		t.Errorf("other product: excluded %v score %d", m.Excluded, m.Score)
	}
	s, d = baseSupply(), baseDemand()
	d.Unit = "箱"
	if m := Score(s, d); !m.Excluded || !strings.Contains(factor(m, "quantity").Note, "不可比") {
		t.Errorf("boxes against kilograms: %+v", m)
	}
}

func TestScoreOrdersCandidates(t *testing.T) {
	d := baseDemand()
	near, far, late := baseSupply(), baseSupply(), baseSupply()
	far.Lng, far.Lat = 108.40, 30.80 // 万州方向 ~160 km
	late.From, late.To = day("2026-07-18"), day("2026-08-20")
	sn, sf, sl := Score(near, d).Score, Score(far, d).Score, Score(late, d).Score
	if !(sn > sf && sn > sl) {
		t.Errorf("near %d should beat far %d and late %d", sn, sf, sl)
	}
	// the summary lists every factor with its points
	m := Score(far, d)
	for _, w := range weights {
		if !strings.Contains(m.Summary, w.name) {
			t.Errorf("summary %q lacks %s", m.Summary, w.name)
		}
	}
}

func TestGreatCircle(t *testing.T) {
	// Beijing (116.40, 39.90) to Shanghai (121.47, 31.23): about 1,067 km.
	if km := GreatCircleKm(116.40, 39.90, 121.47, 31.23); math.Abs(km-1067) > 10 {
		t.Errorf("Beijing–Shanghai %v km", km)
	}
	if km := GreatCircleKm(110, 31, 110, 31); km != 0 {
		t.Errorf("same point %v", km)
	}
}
